import * as net from 'node:net';
import { msgpackCodec } from '@rpc/codec-msgpack';
import {
  MprpcClient,
  MprpcServer,
  RemoteError,
  type MprpcResult,
  type MprpcServerOptions,
  type RpcError,
} from '@rpc/mprpc';
import { disposableSocket, socketPath, waitFor } from '@rpc/testkit';
import { adapters } from '../src/adapters.js';

describe.each(adapters)('MessagePack-RPC on the $name loop', (adapter) => {
  const loop = adapter.loop();

  /** A started server; `hold` parks a request until `release(name)` answers it: answers come in our order. */
  async function serve(options: Partial<MprpcServerOptions> = {}) {
    const notes: unknown[][] = [];
    const held = new Map<string, MprpcResult>();
    const server = new MprpcServer({ port: 0, host: '127.0.0.1', loop, ...options }).regCb({
      sum: (res, a, b) => res?.result(Number(a) + Number(b)),
      echo: (res, ...params) => res?.result(params),
      hold: (res, name) => void (res && held.set(String(name), res)),
      release: (res, name) => {
        held.get(String(name))?.result(name);
        held.delete(String(name));
        res?.result(true);
      },
      fail: (res) => res?.error({ code: 42, message: 'not today' }),
      throws: () => {
        throw new Error('handler broke');
      },
      twice: (res) => {
        res?.result(1);
        try {
          res?.result(2);
        } catch (error) {
          notes.push(['twice', (error as RpcError).code]);
        }
      },
      note: (res, ...params) => {
        notes.push([res === undefined ? 'notification' : 'request', ...params]);
        if (params[0] === 'throw') throw new Error('note broke');
        res?.result('noted');
      },
    });
    await server.start();
    const address = server.address;
    const port = 'port' in address ? address.port : address.path;
    return { server, port, notes, held, [Symbol.asyncDispose]: () => server.close() };
  }

  /** A connected client; closed again if it cannot connect. */
  async function client(port: number | string, options: Partial<ConstructorParameters<typeof MprpcClient>[0]> = {}) {
    const c = new MprpcClient({
      port,
      loop,
      ...(typeof port === 'number' ? { host: '127.0.0.1' } : {}),
      ...options,
    });
    return await c.connect();
  }

  describe.each([
    ['TCP', (): Partial<MprpcServerOptions> => ({ port: 0, host: '127.0.0.1' })],
    ...(adapter.unix
      ? [['a Unix socket', (): Partial<MprpcServerOptions> => ({ port: socketPath('mprpc.sock') })] as const]
      : []),
  ] as Array<readonly [string, () => Partial<MprpcServerOptions>]>)('over %s', (_name, endpoint) => {
    it('calls, with many in flight answered out of order', async () => {
      await using s = await serve(endpoint());
      await using c = await client(s.port);
      expect(await c.call('sum', 1, 2)).toBe(3);
      expect(await c.call('echo', 'ünï', [1, { a: null }], Uint8Array.of(1, 2))).toEqual([
        'ünï',
        [1, { a: null }],
        Uint8Array.of(1, 2),
      ]);
      const order: string[] = [];
      const calls = ['slow', 'middle', 'fast'].map((name) =>
        c.call('hold', name).then((r) => {
          order.push(String(r));
          return r;
        }),
      );
      await waitFor(() => s.held.size === 3, 'the three calls to be held');
      for (const name of ['fast', 'middle', 'slow']) await c.call('release', name);
      expect(await Promise.all(calls)).toEqual(['slow', 'middle', 'fast']);
      expect(order).toEqual(['fast', 'middle', 'slow']);
      const many = await Promise.all(Array.from({ length: 500 }, (_, i) => c.call('sum', i, 1)));
      expect(many).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    });
  });

  describe('server and client', () => {
    it('start once, emit connect and disconnect, and refuse to start or connect once closed', async () => {
      await using s = await serve();
      expect(await s.server.start()).toBe(s.server); // again: harmless
      const seen: string[] = [];
      s.server.on('connect', () => seen.push('server: connect'));
      s.server.on('disconnect', (_peer, error) => seen.push(`server: disconnect ${error?.message ?? 'clean'}`));
      await using c = new MprpcClient({ port: s.port, loop });
      c.on('connect', () => seen.push('client: connect'));
      c.on('disconnect', (error) => seen.push(`client: disconnect ${error?.message ?? 'clean'}`));
      await expect(c.call('sum', 1, 1)).rejects.toMatchObject({ name: 'UsageError', code: 'RPC_NOT_CONNECTED' });
      expect(() => c.notify('note')).toThrow(expect.objectContaining({ code: 'RPC_NOT_CONNECTED' }));
      expect(await c.connect()).toBe(c);
      expect(await c.call('sum', 1, 1)).toBe(2);
      await c.close();
      await waitFor(() => seen.length === 4, 'both ends to see the disconnect');
      expect(seen.sort()).toEqual([
        'client: connect',
        'client: disconnect clean',
        'server: connect',
        'server: disconnect clean',
      ]);
      await expect(c.connect()).rejects.toMatchObject({ name: 'UsageError', code: 'RPC_CLOSED' });
      await s.server.close();
      await expect(s.server.start()).rejects.toMatchObject({ name: 'UsageError', code: 'RPC_CLOSED' });
    });

    it('delivers notifications with no answer, and answers a request to the same method', async () => {
      await using s = await serve();
      await using c = await client(s.port);
      const calls: unknown[] = [];
      s.server.on('call', (_peer, message) => calls.push(message.type));
      c.notify('note', 'fire', 'and forget');
      expect(await c.call('note', 'asked')).toBe('noted');
      expect(s.notes).toEqual([
        ['notification', 'fire', 'and forget'],
        ['request', 'asked'],
      ]);
      expect(calls).toEqual([2, 0]);
    });

    it('turns errors into spec-shaped answers: unknown methods, error results, handlers that throw', async () => {
      await using s = await serve();
      await using c = await client(s.port);
      const unknown = await c.call('nope').catch((error: unknown) => error);
      expect(unknown).toBeInstanceOf(RemoteError);
      expect(unknown).toMatchObject({
        code: 'RPC_REMOTE',
        message: 'Method not found: nope',
        data: 'Method not found: nope',
      });
      await expect(c.call('fail')).rejects.toMatchObject({
        code: 'RPC_REMOTE',
        message: 'not today',
        data: { code: 42, message: 'not today' },
      });
      await expect(c.call('throws')).rejects.toMatchObject({ code: 'RPC_REMOTE', data: 'handler broke' });
      expect(await c.call('twice')).toBe(1);
      expect(s.notes).toEqual([['twice', 'MPRPC_ALREADY_ANSWERED']]);
      expect(await c.call('sum', 2, 2)).toBe(4); // still serving
    });

    it('reports a handler that throws on a notification, and keeps the connection', async () => {
      await using s = await serve();
      await using c = await client(s.port);
      const errors: RpcError[] = [];
      s.server.on('error', (error) => errors.push(error as RpcError));
      c.notify('note', 'throw');
      expect(await c.call('sum', 1, 1)).toBe(2);
      expect(errors.map((e) => [e.name, e.code, e.message, (e.cause as Error).message])).toEqual([
        ['UsageError', 'MPRPC_HANDLER_FAILED', 'notification note failed: note broke', 'note broke'],
      ]);
    });

    it('lets the server call its client back', async () => {
      await using s = await serve();
      await using c = await new MprpcClient({ port: s.port, loop })
        .regCb({ whoami: (res) => res?.result('the client') })
        .connect();
      await c.call('sum', 0, 0);
      const [peer] = [...s.server.peers];
      expect(await peer?.call('whoami')).toBe('the client');
      await expect(peer?.callWith({ deadlineMs: 60_000 }, 'nothing')).rejects.toMatchObject({ code: 'RPC_REMOTE' });
    });

    it('fails calls in flight cleanly when the connection goes', async () => {
      await using s = await serve();
      await using c = await client(s.port);
      await c.call('sum', 1, 1);
      const pending = c.call('hold', 'forever').catch((error: unknown) => error);
      await waitFor(() => s.held.size === 1, 'the call to be held');
      await Promise.all([...s.server.peers].map((peer) => peer.close())); // the server's close() would answer it
      expect(await pending).toMatchObject({ name: 'TransportError', code: 'RPC_DISCONNECTED' });
      await expect(c.call('sum', 1, 1)).rejects.toMatchObject({ code: 'RPC_NOT_CONNECTED' });
    });

    it('gives up on a call when its signal aborts, and drops the late answer', async () => {
      await using s = await serve();
      await using c = await client(s.port);
      const abort = new AbortController();
      const call = c.callWith({ signal: abort.signal }, 'hold', 'a');
      await waitFor(() => s.held.size === 1, 'the call to be held');
      abort.abort();
      await expect(call).rejects.toMatchObject({ name: 'CancelError', code: 'RPC_CANCELLED' });
      expect(c.callsInFlight).toBe(0);
      await c.call('release', 'a'); // its answer comes, and nobody waits for it
      expect(await c.call('sum', 1, 2)).toBe(3);
    });

    it('answers requests past the in-flight limit at once with an error', async () => {
      await using s = await serve({ handlerOptions: { maxInFlight: 2 } });
      await using c = await client(s.port);
      const held = [c.call('hold', 'a'), c.call('hold', 'b')];
      await waitFor(() => s.held.size === 2, 'two calls to be held');
      await expect(c.call('sum', 1, 1)).rejects.toMatchObject({
        code: 'RPC_REMOTE',
        message: 'too many calls in flight (the limit is 2)',
      });
      s.held.get('a')?.result('a');
      s.held.get('b')?.result('b');
      expect(await Promise.all(held)).toEqual(['a', 'b']);
      expect(await c.call('sum', 1, 1)).toBe(2);
    });

    it('refuses our own calls past maxCalls without sending them', async () => {
      await using s = await serve();
      await using c = await client(s.port, { handlerOptions: { maxCalls: 2 } });
      const held = [c.call('hold', 'a'), c.call('hold', 'b')];
      await expect(c.call('sum', 1, 1)).rejects.toMatchObject({ name: 'UsageError', code: 'RPC_TOO_MANY_CALLS' });
      await waitFor(() => s.held.size === 2, 'two calls to be held');
      s.held.get('a')?.result('a');
      s.held.get('b')?.result('b');
      expect(await Promise.all(held)).toEqual(['a', 'b']);
      expect(await c.call('sum', 1, 1)).toBe(2);
    });

    it('closes a connection that sends a message over the limit, and keeps serving others', async () => {
      await using s = await serve({ handlerOptions: { maxMessageSize: 4096 } });
      const errors: string[] = [];
      s.server.on('error', (error) => errors.push((error as RpcError).code));
      await using good = await client(s.port);
      await using big = await client(s.port, { handlerOptions: { maxMessageSize: 1 << 20 } });
      expect(await big.call('sum', 1, 1)).toBe(2);
      await expect(big.call('echo', 'x'.repeat(5000))).rejects.toMatchObject({
        name: 'TransportError',
        code: 'RPC_DISCONNECTED',
      });
      await waitFor(() => errors.length === 1, 'the error');
      if (adapter.byteStream) expect(errors).toEqual(['MPRPC_MESSAGE_TOO_LARGE']);
      expect(await good.call('sum', 3, 4)).toBe(7);
    });

    it('reports a taken address through start()', async () => {
      await using s = await serve();
      await using second = new MprpcServer({ port: s.port, host: '127.0.0.1', loop });
      await expect(second.start()).rejects.toMatchObject({ code: 'LOOP_ADDRESS_IN_USE' });
    });

    it('refuses a limit that is not a positive whole number', () => {
      expect(() => new MprpcServer({ port: 0, handlerOptions: { maxInFlight: 0 } })).toThrow(
        expect.objectContaining({
          name: 'UsageError',
          code: 'MPRPC_INVALID_OPTION',
          message: 'maxInFlight must be a positive whole number, got 0',
        }),
      );
      expect(() => new MprpcClient({ port: 1, handlerOptions: { maxCalls: 1.5 } })).toThrow(
        expect.objectContaining({ code: 'MPRPC_INVALID_OPTION' }),
      );
    });
  });

  if (adapter.byteStream) {
    describe('a peer that breaks the protocol', () => {
      async function rawPeer(port: number | string, bytes: Uint8Array): Promise<void> {
        await using raw = disposableSocket(net.connect(Number(port), '127.0.0.1'));
        const closed = new Promise((r) => raw.on('close', r));
        raw.write(bytes);
        await closed;
      }

      it('is disconnected when it declares an oversize message, before it is read, and others are served', async () => {
        await using s = await serve({ handlerOptions: { maxMessageSize: 4096 } });
        const errors: RpcError[] = [];
        s.server.on('error', (error) => errors.push(error as RpcError));
        await using good = await client(s.port, { handlerOptions: { maxMessageSize: 4096 } });
        expect(await good.call('sum', 1, 2)).toBe(3);
        // [0, 1, "sum", [bin of 2 GiB ...
        await rawPeer(
          s.port,
          Uint8Array.of(0x94, 0x00, 0x01, 0xa3, 0x73, 0x75, 0x6d, 0x91, 0xc6, 0x7f, 0xff, 0xff, 0xff),
        );
        await waitFor(() => errors.length === 1, 'the error');
        expect(errors.map((e) => [e.name, e.code, e.message])).toEqual([
          ['ProtocolError', 'MPRPC_MESSAGE_TOO_LARGE', 'a MessagePack value declares more than 4096 bytes'],
        ]);
        const tooLarge = { code: 'MSG_MESSAGE_TOO_LARGE' }; // our own limit
        await expect(good.call('echo', 'x'.repeat(5000))).rejects.toMatchObject(tooLarge);
        expect(await good.call('sum', 3, 4)).toBe(7);
      });

      it('is disconnected when it sends bytes that start no MessagePack value', async () => {
        await using s = await serve();
        const errors: RpcError[] = [];
        s.server.on('error', (error) => errors.push(error as RpcError));
        await rawPeer(s.port, Uint8Array.of(0x94, 0xc1));
        await waitFor(() => errors.length === 1, 'the error');
        expect(errors.map((e) => [e.name, e.code, e.message])).toEqual([
          ['ProtocolError', 'MPRPC_MALFORMED', 'byte 0xc1 starts no MessagePack value'],
        ]);
      });

      it('is disconnected when it sends something other than MessagePack-RPC', async () => {
        await using s = await serve();
        const ends: string[] = [];
        s.server.on('error', (error) => ends.push(`error ${(error as RpcError).code}: ${error.message}`));
        s.server.on('disconnect', (_peer, error) => ends.push(`disconnect ${(error as RpcError | undefined)?.code}`));
        await rawPeer(s.port, msgpackCodec().encode({ not: 'an rpc message' }));
        await waitFor(() => ends.length === 2, 'the error and the disconnect');
        expect(ends).toEqual([
          'error MPRPC_BAD_MESSAGE: a message that is not MessagePack-RPC (request, response or notification)',
          'disconnect MPRPC_BAD_MESSAGE',
        ]);
      });
    });
  }
});
