import { connect, newServer, type Connection, type MessageHandler } from '@rpc/msg';
import { waitFor } from '@rpc/testkit';
import { local, rawSocket, readU32, text, u32 } from './helpers.js';

describe('newServer', () => {
  it('closes connections that login refuses and gives the others their own handler', async () => {
    let count = 0;
    let refused: Connection | undefined;
    const server = await newServer(local, (conn): MessageHandler | undefined => {
      const n = ++count;
      if (n === 2) {
        refused = conn;
        conn.sendLater('go away');
        return undefined; // refuse the second client, after telling it why
      }
      return (conn, msg) => msg && conn.sendLater(`client ${n} said ${text.decode(msg)}`);
    });
    const first = await connect(server.address);
    const second = await connect(server.address);
    const third = await connect(server.address);
    await second.done;
    expect(second.error).toBeUndefined();
    expect(text.decode((await second.receive()) as Uint8Array)).toBe('go away');
    expect(await second.receive()).toBeUndefined();
    await refused?.done; // the server's side is released too
    first.sendLater('hi');
    third.sendLater('hi');
    expect(text.decode((await first.receive()) as Uint8Array)).toBe('client 1 said hi');
    expect(text.decode((await third.receive()) as Uint8Array)).toBe('client 3 said hi');
    expect(server.connections.size).toBe(2);
    await first.disconnect();
    await waitFor(() => server.connections.size === 1, 'the server to forget the client');
    await third.disconnect();
    await server.close();
  });

  it('reads nothing before an async login answers, then delivers everything', async () => {
    let admit: (handler: MessageHandler) => void = () => undefined;
    const got: string[] = [];
    const server = await newServer(local, (conn: Connection) => {
      expect(conn.remote).toMatchObject({ host: '127.0.0.1' });
      return new Promise<MessageHandler>((resolve) => (admit = resolve));
    });
    const client = await connect(server.address);
    client.sendLater('early 1');
    client.sendLater('early 2');
    await new Promise((r) => setTimeout(r, 50));
    admit((_conn, msg) => msg && got.push(text.decode(msg)));
    await waitFor(() => got.length === 2, 'both early messages');
    expect(got).toEqual(['early 1', 'early 2']);
    await client.disconnect();
    await server.close();
  });

  it('reports a login that throws and closes only that connection', async () => {
    const errors: Error[] = [];
    const server = await newServer(local, () => {
      throw new Error('directory offline');
    });
    server.on('error', (e) => errors.push(e));
    const client = await connect(server.address);
    await client.done;
    expect(errors[0]).toMatchObject({ name: 'ConnectionError', code: 'MSG_LOGIN_FAILED', cause: new Error('directory offline') });
    await server.close();
  });

  it('rejects an over-limit declared length, closes that connection and keeps serving another client', async () => {
    const closes: Array<Error | undefined> = [];
    const server = await newServer(
      local,
      () => (conn, msg, err) => {
        if (msg === undefined) closes.push(err);
        else conn.sendLater(msg);
      },
      { maxPacketSize: 1024 * 1024 },
    );
    const good = await connect(server.address, undefined, { maxPacketSize: 1024 * 1024 });
    good.sendLater('before');
    expect(text.decode((await good.receive()) as Uint8Array)).toBe('before');

    const hostile = await rawSocket(server);
    const hostileClosed = new Promise((r) => hostile.on('close', r));
    const memoryBefore = process.memoryUsage().arrayBuffers;
    hostile.write(Uint8Array.of(0xff, 0xff, 0xff, 0xfe)); // declares 4 GiB − 2
    hostile.write(new Uint8Array(1000));
    await hostileClosed;
    expect(closes).toHaveLength(1);
    expect(closes[0]).toMatchObject({
      name: 'FrameError',
      code: 'MSG_FRAME_TOO_LARGE',
      declaredLength: 0xfffffffe,
      message: 'peer declared a 4294967294-byte message; the limit is 1048576 bytes',
    });
    expect(process.memoryUsage().arrayBuffers - memoryBefore).toBeLessThan(16 * 1024 * 1024);

    good.sendLater('after');
    expect(text.decode((await good.receive()) as Uint8Array)).toBe('after');
    expect(server.connections.size).toBe(1);
    await good.disconnect();
    await server.close();
  });

  it('lets a slow reader queue up without losing anything while another connection keeps flowing', async () => {
    const accepted: Connection[] = [];
    const server = await newServer(local, (conn) => {
      accepted.push(conn);
      return () => undefined;
    });
    // The slow reader holds at most 64 KiB unread before it stops reading from its socket.
    const slow = await connect(server.address, undefined, { receiveBufferBytes: 64 * 1024 });
    await waitFor(() => accepted.length === 1, 'the slow client');
    const fast = await connect(server.address);
    await waitFor(() => accepted.length === 2, 'the fast client');
    const [toSlow, toFast] = accepted as [Connection, Connection];

    const block = 16 * 1024;
    const count = 2000; // 32 MiB: far more than the socket buffers hold
    for (let i = 0; i < count; i++) {
      const msg = new Uint8Array(block).fill(i & 0xff);
      msg.set(u32(i));
      toSlow.sendLater(msg);
    }
    // Wait until the socket buffers are full and the queue stops shrinking.
    let last = -1;
    let still = 0;
    await waitFor(() => {
      still = toSlow.queuedBytes === last ? still + 1 : 0;
      last = toSlow.queuedBytes;
      return still >= 10;
    }, 'the queue to settle');
    const backlog = toSlow.queuedBytes;
    expect(backlog).toBeGreaterThan(8 * 1024 * 1024);

    // The other connection flows while the slow one is stuck.
    for (let i = 0; i < 100; i++) toFast.sendLater(u32(i));
    for (let i = 0; i < 100; i++) expect(readU32((await fast.receive()) as Uint8Array)).toBe(i);
    expect(toSlow.queuedBytes).toBe(backlog);

    // Now read everything: all 2000 in order, intact.
    let next = 0;
    for await (const msg of slow) {
      expect(msg.length).toBe(block);
      expect(readU32(msg)).toBe(next);
      expect(msg[block - 1]).toBe(next & 0xff);
      if (++next === count) break;
    }
    expect(toSlow.queuedBytes).toBe(0);
    await Promise.all([slow.disconnect(), fast.disconnect()]);
    await server.close();
  });

  it('reports a handler that throws when told of the close, and keeps running', async () => {
    const errors: Error[] = [];
    const server = await newServer(local, () => (_conn, msg) => {
      if (msg === undefined) throw new Error('cleanup bug');
    });
    server.on('error', (e) => errors.push(e));
    const client = await connect(server.address);
    await waitFor(() => server.connections.size === 1, 'the client');
    await client.disconnect();
    await waitFor(() => errors.length === 1, 'the error');
    expect(errors[0]).toMatchObject({ code: 'MSG_HANDLER_FAILED', message: 'message handler threw on close', cause: new Error('cleanup bug') });
    await server.close();
  });

  it('drops a peer that never closes its side once disconnectTimeoutMs has passed', async () => {
    const accepted: Connection[] = [];
    const server = await newServer(local, (conn) => (accepted.push(conn), () => undefined), { disconnectTimeoutMs: 100 });
    const stubborn = await rawSocket(server, { allowHalfOpen: true }); // ignores our FIN and keeps its side open
    await waitFor(() => accepted.length === 1, 'the peer');
    const started = Date.now();
    await accepted[0]?.disconnect();
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    stubborn.destroy();
    await server.close();
  });

  it('disconnects clients still in login when it closes', async () => {
    const server = await newServer(local, () => new Promise<MessageHandler>(() => undefined)); // never answers
    const client = await connect(server.address);
    await new Promise((r) => setTimeout(r, 20));
    await server.close();
    await client.done;
    expect(client.closed).toBe(true);
  });

  it('stops accepting on close and disconnects its clients', async () => {
    const server = await newServer(local, () => () => undefined);
    const client = await connect(server.address);
    await waitFor(() => server.connections.size === 1, 'the client');
    await server.close();
    await client.done;
    await expect(connect(server.address)).rejects.toMatchObject({ code: 'LOOP_CONNECTION_REFUSED' });
  });
});

