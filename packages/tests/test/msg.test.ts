import * as msg from '@rpc/msg';
import type { Connection, MessageHandler, MsgOptions } from '@rpc/msg';
import type { Endpoint } from '@rpc/loop';
import { waitFor } from '@rpc/testkit';
import { adapters } from '../src/adapters.js';

// The Msg suite on every Loop adapter: the Node loop, RxJS scheduling, WebSocket.
// (Tests that write raw bytes or use Unix sockets stay in packages/msg, on the Node loop.)
const local: Endpoint = { host: '127.0.0.1', port: 0 };
const text = new TextDecoder();

function u32(n: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, n);
  return bytes;
}

function readU32(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
}

describe.each(adapters)('Msg on the $name loop', (adapter) => {
  const loop = adapter.loop();
  const startServer = (endpoint: Endpoint, login: msg.Login, options: MsgOptions = {}) =>
    new msg.MsgServer({ ...endpoint, login, loop, ...options }).start();
  const connect = (
    endpoint: Endpoint | msg.MsgServer['address'],
    onMessage?: MessageHandler,
    options: MsgOptions = {},
  ) => msg.connect(endpoint as Endpoint, onMessage, { loop, ...options });
  const echoServer = () =>
    startServer(local, () => (conn: Connection, message: Uint8Array | undefined) => message && conn.sendLater(message));

  describe('Connection', () => {
    it('lets either side speak first and receives with or without a handler', async () => {
      await using server = await startServer(local, (conn) => {
        conn.sendLater('welcome');
        return (peer, msg) => msg && peer.sendLater(`echo ${text.decode(msg)}`);
      });
      await using client = await connect(server.address);
      expect(text.decode((await client.receive()) as Uint8Array)).toBe('welcome');

      client.sendLater('a');
      expect(text.decode((await client.receive()) as Uint8Array)).toBe('echo a');

      // With a handler set, a waiting receive() is still served first, then the handler gets the rest.
      const handled: string[] = [];
      client.onMessage = (_conn, msg) => msg && handled.push(text.decode(msg));
      const next = client.receive();
      client.sendLater('b');
      client.sendLater('c');
      expect(text.decode((await next) as Uint8Array)).toBe('echo b');
      await waitFor(() => handled.length === 1, 'the handler');
      expect(handled).toEqual(['echo c']);
    });

    it('gives messages that waited to a handler set later, in order', async () => {
      await using server = await startServer(local, (conn) => {
        for (let i = 0; i < 5; i++) conn.sendLater(`m${i}`);
        return () => undefined;
      });
      await using client = await connect(server.address);
      await waitFor(() => client.bufferedBytes === 0, 'time to receive');
      await new Promise((r) => setTimeout(r, 50));
      const got: string[] = [];
      client.onMessage = (_c, msg) => msg && got.push(text.decode(msg));
      await waitFor(() => got.length === 5, 'all five');
      expect(got).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    });

    it('delivers 10,000 messages in order, both ways', async () => {
      const seenByServer: number[] = [];
      await using server = await startServer(local, () => (conn, msg) => {
        if (msg === undefined) return;
        seenByServer.push(readU32(msg));
        conn.sendLater(msg);
      });
      await using client = await connect(server.address);
      for (let i = 0; i < 10_000; i++) client.sendLater(u32(i));
      let expected = 0;
      for await (const msg of client) {
        expect(readU32(msg)).toBe(expected++);
        if (expected === 10_000) break;
      }
      expect(seenByServer).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    });

    it('round-trips a 64 MiB message intact', async () => {
      const maxPacketSize = 64 * 1024 * 1024;
      await using server = await startServer(local, () => (conn, message) => message && conn.sendLater(message), {
        maxPacketSize,
      });
      await using client = await connect(server.address, undefined, { maxPacketSize });
      const big = Buffer.alloc(64 * 1024 * 1024);
      for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
      await client.sendNow(big);
      const back = (await client.receive()) as Uint8Array;
      expect(back.length).toBe(big.length);
      expect(Buffer.compare(Buffer.from(back.buffer, back.byteOffset, back.length), big)).toBe(0);
    });

    it('resolves sendNow once the bytes are handed to the system, after what was queued', async () => {
      const order: string[] = [];
      await using server = await startServer(local, () => (_conn, msg) => msg && order.push(text.decode(msg)));
      await using client = await connect(server.address);
      client.sendLater('queued first');
      await client.sendNow('sent now');
      expect(client.queuedBytes).toBe(0);
      await waitFor(() => order.length === 2, 'both messages');
      expect(order).toEqual(['queued first', 'sent now']);
    });

    it('ends receive() and iteration with undefined after a clean close, keeping messages that arrived first', async () => {
      await using server = await startServer(local, (conn) => {
        conn.sendLater('last words');
        void conn.close();
        return () => undefined;
      });
      await using client = await connect(server.address);
      await client.done;
      expect(client.error).toBeUndefined();
      expect(text.decode((await client.receive()) as Uint8Array)).toBe('last words');
      expect(await client.receive()).toBeUndefined();
    });

    it('calls the handler once with msg undefined when the peer leaves', async () => {
      const calls: Array<[Connection, Uint8Array | undefined, Error | undefined]> = [];
      await using server = await echoServer();
      await using client = await connect(server.address, (conn, msg, err) => calls.push([conn, msg, err]));
      client.sendLater('hi');
      await waitFor(() => calls.length === 1, 'the echo');
      await server.close();
      await waitFor(() => calls.length === 2, 'the close');
      expect(calls[1]).toEqual([client, undefined, undefined]);
    });

    it('refuses to send on a closed connection, oversize messages and a full queue', async () => {
      await using server = await echoServer();
      await using client = await connect(server.address, undefined, { maxPacketSize: 1000, maxQueueBytes: 2500 });
      expect(() => client.sendLater(new Uint8Array(1001))).toThrow(
        expect.objectContaining({ name: 'UsageError', code: 'MSG_MESSAGE_TOO_LARGE' }),
      );
      client.sendLater(new Uint8Array(1000));
      client.sendLater(new Uint8Array(1000));
      expect(() => client.sendLater(new Uint8Array(1000))).toThrow(
        // 2008 bytes with the 4-byte headers, 2000 over WebSocket, which needs none
        expect.objectContaining({
          code: 'MSG_QUEUE_FULL',
          message: expect.stringMatching(/^send queue holds 200[08] bytes; maxQueueBytes is 2500$/),
        }),
      );
      await client.close();
      expect(() => client.sendLater('late')).toThrow(expect.objectContaining({ code: 'MSG_CLOSED' }));
      await expect(client.sendNow('late')).rejects.toMatchObject({ code: 'MSG_CLOSED' });
    });

    it('rejects invalid limits', async () => {
      await using server = await echoServer();
      for (const maxPacketSize of [-1, 2 ** 32, 1.5]) {
        await expect(connect(server.address, undefined, { maxPacketSize })).rejects.toMatchObject({
          code: 'MSG_INVALID_OPTION',
        });
      }
    });

    it('closes only the connection whose handler throws', async () => {
      await using server = await echoServer();
      let failure: Error | undefined;
      await using bad = await connect(server.address, (_conn, msg, err) => {
        if (msg) throw new Error('handler bug');
        failure = err;
      });
      await using good = await connect(server.address);
      bad.sendLater('x');
      await bad.done;
      expect(failure).toMatchObject({ code: 'MSG_HANDLER_FAILED', cause: new Error('handler bug') });
      good.sendLater('still here');
      expect(text.decode((await good.receive()) as Uint8Array)).toBe('still here');
    });
  });

  describe('newServer', () => {
    it('closes connections that login refuses and gives the others their own handler', async () => {
      let count = 0;
      let refused: Connection | undefined;
      await using server = await startServer(local, (conn): MessageHandler | undefined => {
        const n = ++count;
        if (n === 2) {
          refused = conn;
          conn.sendLater('go away');
          return undefined; // refuse the second client, after telling it why
        }
        return (conn, msg) => msg && conn.sendLater(`client ${n} said ${text.decode(msg)}`);
      });
      await using first = await connect(server.address);
      await using second = await connect(server.address);
      await using third = await connect(server.address);
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
      await first.close();
      await waitFor(() => server.connections.size === 1, 'the server to forget the client');
    });

    it('reads nothing before an async login answers, then delivers everything', async () => {
      let admit: (handler: MessageHandler) => void = () => undefined;
      const got: string[] = [];
      await using server = await startServer(local, (conn: Connection) => {
        expect(conn.remote).toMatchObject({ host: '127.0.0.1' });
        return new Promise<MessageHandler>((resolve) => (admit = resolve));
      });
      await using client = await connect(server.address);
      client.sendLater('early 1');
      client.sendLater('early 2');
      await new Promise((r) => setTimeout(r, 50));
      admit((_conn, msg) => msg && got.push(text.decode(msg)));
      await waitFor(() => got.length === 2, 'both early messages');
      expect(got).toEqual(['early 1', 'early 2']);
    });

    it('reports a login that throws and closes only that connection', async () => {
      const errors: Error[] = [];
      await using server = await startServer(local, () => {
        throw new Error('directory offline');
      });
      server.on('error', (e) => errors.push(e));
      await using client = await connect(server.address);
      await client.done;
      expect(errors[0]).toMatchObject({
        name: 'UsageError',
        code: 'MSG_LOGIN_FAILED',
        cause: new Error('directory offline'),
      });
    });

    it('lets a slow reader queue up without losing anything while another connection keeps flowing', async () => {
      const accepted: Connection[] = [];
      await using server = await startServer(
        local,
        (conn) => {
          accepted.push(conn);
          return () => undefined;
        },
        { maxQueueBytes: 64 * 1024 * 1024 },
      );
      // The slow reader holds at most 64 KiB unread before it stops reading from its socket.
      await using slow = await connect(server.address, undefined, { receiveBufferBytes: 64 * 1024 });
      await waitFor(() => accepted.length === 1, 'the slow client');
      await using fast = await connect(server.address);
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
    });

    it('reports a handler that throws when told of the close, and keeps running', async () => {
      const errors: Error[] = [];
      await using server = await startServer(local, () => (_conn, msg) => {
        if (msg === undefined) throw new Error('cleanup bug');
      });
      server.on('error', (e) => errors.push(e));
      await using client = await connect(server.address);
      await waitFor(() => server.connections.size === 1, 'the client');
      await client.close();
      await waitFor(() => errors.length === 1, 'the error');
      expect(errors[0]).toMatchObject({
        code: 'MSG_HANDLER_FAILED',
        message: 'message handler threw on close',
        cause: new Error('cleanup bug'),
      });
    });

    it('disconnects clients still in login when it closes', async () => {
      let inLogin = false;
      await using server = await startServer(local, () => {
        inLogin = true;
        return new Promise<MessageHandler>(() => undefined); // never answers
      });
      await using client = await connect(server.address);
      await waitFor(() => inLogin, 'the client to be in login');
      await server.close();
      await client.done;
      expect(client.closed).toBe(true);
    });

    it('stops accepting on close and disconnects its clients', async () => {
      await using server = await startServer(local, () => () => undefined);
      await using client = await connect(server.address);
      await waitFor(() => server.connections.size === 1, 'the client');
      await server.close();
      await client.done;
      await expect(connect(server.address)).rejects.toMatchObject({ code: 'LOOP_CONNECTION_REFUSED' });
    });
  });
});
