import { connect, MsgServer, type Connection } from '@rpc/msg';
import { waitFor } from '@rpc/testkit';
import { local, rawSocket, text } from './helpers.js';

describe('newServer', () => {
  it('rejects an over-limit declared length, closes that connection and keeps serving another client', async () => {
    const closes: Array<Error | undefined> = [];
    await using server = await new MsgServer({
      ...local,
      login: () => (conn, msg, err) => {
        if (msg === undefined) closes.push(err);
        else conn.sendLater(msg);
      },
      maxPacketSize: 1024 * 1024,
    }).start();
    await using good = await connect(server.address, undefined, { maxPacketSize: 1024 * 1024 });
    good.sendLater('before');
    expect(text.decode((await good.receive()) as Uint8Array)).toBe('before');

    await using hostile = await rawSocket(server);
    const hostileClosed = new Promise((r) => hostile.on('close', r));
    const memoryBefore = process.memoryUsage().arrayBuffers;
    hostile.write(Uint8Array.of(0xff, 0xff, 0xff, 0xfe)); // declares 4 GiB − 2
    hostile.write(new Uint8Array(1000));
    await hostileClosed;
    expect(closes).toHaveLength(1);
    expect(closes[0]).toMatchObject({
      name: 'ProtocolError',
      code: 'MSG_FRAME_TOO_LARGE',
      data: { declaredLength: 0xfffffffe },
      message: 'peer declared a 4294967294-byte message; the limit is 1048576 bytes',
    });
    expect(process.memoryUsage().arrayBuffers - memoryBefore).toBeLessThan(16 * 1024 * 1024);

    good.sendLater('after');
    expect(text.decode((await good.receive()) as Uint8Array)).toBe('after');
    expect(server.connections.size).toBe(1);
  });

  it('drops a peer that never closes its side once disconnectTimeoutMs has passed', async () => {
    const accepted: Connection[] = [];
    await using server = await new MsgServer({
      ...local,
      login: (conn) => {
        accepted.push(conn);
        return () => undefined;
      },
      disconnectTimeoutMs: 100,
    }).start();
    await using stubborn = await rawSocket(server, { allowHalfOpen: true }); // ignores our FIN and keeps its side open
    await waitFor(() => accepted.length === 1, 'the peer');
    const started = Date.now();
    await accepted[0]?.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    stubborn.destroy();
  });

  it('takes a new maxPacketSize at any time, for open connections and later ones, both ways', async () => {
    const closes: Array<Error | undefined> = [];
    await using server = await new MsgServer({
      ...local,
      login: () => (conn, msg, err) => (msg === undefined ? closes.push(err) : conn.sendLater(msg)),
      maxPacketSize: 1000,
    }).start();
    await using early = await connect(server.address);
    early.sendLater(new Uint8Array(1000));
    expect((await early.receive())?.length).toBe(1000);

    server.maxPacketSize = 100;
    expect(server.maxPacketSize).toBe(100);
    await using late = await connect(server.address);
    for (const conn of [early, late]) {
      conn.sendLater(new Uint8Array(100));
      expect((await conn.receive())?.length).toBe(100);
    }
    early.sendLater(new Uint8Array(101)); // the server now refuses it at the header
    await expect(early.receive()).resolves.toBeUndefined();
    expect(closes[0]).toMatchObject({ code: 'MSG_FRAME_TOO_LARGE', data: { declaredLength: 101 } });

    late.maxPacketSize = 10; // and our own side refuses to send more
    expect(() => late.sendLater(new Uint8Array(11))).toThrow(
      expect.objectContaining({ code: 'MSG_MESSAGE_TOO_LARGE' }),
    );
    expect(() => (late.maxPacketSize = -1)).toThrow(expect.objectContaining({ code: 'MSG_INVALID_OPTION' }));
  });

  it('has no address before start() and cannot start again once closed', async () => {
    await using server = new MsgServer({ ...local, login: () => () => undefined });
    expect(() => server.address).toThrow(expect.objectContaining({ name: 'UsageError', code: 'MSG_NOT_STARTED' }));
    expect(await server.start()).toBe(server);
    expect(await server.start()).toBe(server); // harmless, as Perl's new_server is called once
    expect(server.address).toMatchObject({ host: '127.0.0.1' });
    await server.close();
    await expect(server.start()).rejects.toMatchObject({ name: 'TransportError', code: 'MSG_CLOSED' });
  });
});
