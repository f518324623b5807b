import * as net from 'node:net';
import { msgpackCodec } from '@rpc/codec-msgpack';
import { MprpcClient, MprpcServer, type MprpcServerOptions, type RpcError } from '@rpc/mprpc';
import { socketPath, waitFor } from '@rpc/testkit';
import { adapters } from '../src/adapters.js';

describe.each(adapters)('MessagePack-RPC on the $name loop', (adapter) => {
  const loop = adapter.loop();

  async function serve(options: Partial<MprpcServerOptions> = {}): Promise<{ server: MprpcServer; port: number | string; notes: unknown[][] }> {
    const notes: unknown[][] = [];
    const server = new MprpcServer({ port: 0, address: '127.0.0.1', loop, ...options });
    server.regCb({
      sum: (res, a, b) => res?.result(Number(a) + Number(b)),
      echo: (res, ...params) => res?.result(params),
      // Answers after `ms`: later calls may be answered first.
      later: (res, ms, value) => void setTimeout(() => res?.result(value), Number(ms)),
      never: () => undefined, // keeps its caller waiting
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
        res?.result('noted');
      },
    });
    const address = await server.ready;
    return { server, port: 'port' in address ? address.port : address.path, notes };
  }

  describe.each([
    ['TCP', (): Partial<MprpcServerOptions> => ({ port: 0, address: '127.0.0.1' })],
    ...(adapter.unix ? [['a Unix socket', (): Partial<MprpcServerOptions> => ({ port: socketPath('mprpc.sock') })] as const] : []),
  ] as Array<readonly [string, () => Partial<MprpcServerOptions>]>)('MessagePack-RPC over %s', (_name, endpoint) => {
    it('calls, with many in flight answered out of order', async () => {
      const { server, port } = await serve(endpoint());
      const client = new MprpcClient({ port, loop, ...(typeof port === 'number' ? { host: '127.0.0.1' } : {}) });
      expect(await client.call('sum', 1, 2)).toBe(3);
      expect(await client.call('echo', 'ünï', [1, { a: null }], Uint8Array.of(1, 2))).toEqual(['ünï', [1, { a: null }], Uint8Array.of(1, 2)]);
      const order: string[] = [];
      const calls = [['slow', 60], ['middle', 30], ['fast', 1]].map(([v, ms]) => client.call('later', ms, v).then((r) => (order.push(String(r)), r)));
      expect(await Promise.all(calls)).toEqual(['slow', 'middle', 'fast']);
      expect(order).toEqual(['fast', 'middle', 'slow']);
      const many = await Promise.all(Array.from({ length: 500 }, (_, i) => client.call('sum', i, 1)));
      expect(many).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
      await client.close();
      await server.close();
    });
  });

  describe('MessagePack-RPC server and client', () => {
    it('delivers notifications with no answer, and answers a request to the same method', async () => {
      const { server, port, notes } = await serve();
      const client = new MprpcClient({ port, loop });
      await client.notify('note', 'fire', 'and forget');
      expect(await client.call('note', 'asked')).toBe('noted');
      expect(notes).toEqual([['notification', 'fire', 'and forget'], ['request', 'asked']]);
      await client.close();
      await server.close();
    });

    it('turns errors into spec-shaped answers: unknown methods, error results, handlers that throw', async () => {
      const { server, port, notes } = await serve();
      const client = new MprpcClient({ port, loop });
      await expect(client.call('nope')).rejects.toMatchObject({ name: 'RemoteError',  code: 'MPRPC_REMOTE', message: 'Method not found: nope', data: 'Method not found: nope' });
      await expect(client.call('fail')).rejects.toMatchObject({ code: 'MPRPC_REMOTE', message: 'not today', data: { code: 42, message: 'not today' } });
      await expect(client.call('throws')).rejects.toMatchObject({ code: 'MPRPC_REMOTE', data: 'handler broke' });
      expect(await client.call('twice')).toBe(1);
      expect(notes).toEqual([['twice', 'MPRPC_ALREADY_ANSWERED']]);
      expect(await client.call('sum', 2, 2)).toBe(4); // still serving
      await client.close();
      await server.close();
    });

    it('lets the server call its client back', async () => {
      const { server, port } = await serve();
      const client = new MprpcClient({ port, loop }).regCb({ whoami: (res) => res?.result('the client') });
      await client.call('sum', 0, 0);
      const [peer] = [...server.peers];
      expect(await peer?.call('whoami', [])).toBe('the client');
      await client.close();
      await server.close();
    });

    it('fails calls in flight cleanly when the connection goes', async () => {
      const { server, port } = await serve();
      const client = new MprpcClient({ port, loop });
      await client.call('sum', 1, 1);
      const pending = expect(client.call('never')).rejects.toMatchObject({ name: 'TransportError',  code: 'MPRPC_DISCONNECTED' });
      await server.close();
      await pending;
    });

    it('answers requests past the in-flight limit at once with an error', async () => {
      const { server, port } = await serve({ handlerOptions: { maxInFlight: 2 } });
      const client = new MprpcClient({ port, loop });
      const results = await Promise.allSettled([client.call('later', 50, 'a'), client.call('later', 50, 'b'), client.call('later', 50, 'c')]);
      expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as RpcError).message))).toEqual(['a', 'b', 'too many calls in flight (the limit is 2)']);
      expect(await client.call('later', 1, 'after')).toBe('after');
      await client.close();
      await server.close();
    });

    if (adapter.byteStream) {
      it('closes a connection that declares an oversize message, before reading it, and keeps serving others', async () => {
        const errors: Array<[boolean, string]> = [];
        const { server, port } = await serve({ handlerOptions: { maxMessageSize: 4096 }, onError: (_peer, fatal, message) => errors.push([fatal, message]) });
        const good = new MprpcClient({ port, loop, handlerOptions: { maxMessageSize: 4096 } });
        expect(await good.call('sum', 1, 2)).toBe(3);
        const raw = net.connect(Number(port), '127.0.0.1');
        const closed = new Promise((r) => raw.on('close', r));
        raw.write(Uint8Array.of(0x94, 0x00, 0x01, 0xa3, 0x73, 0x75, 0x6d, 0x91, 0xc6, 0x7f, 0xff, 0xff, 0xff)); // [0, 1, "sum", [bin of 2 GiB ...
        await closed;
        expect(errors).toEqual([[true, 'a MessagePack value declares more than 4096 bytes']]);
        await expect(good.call('echo', 'x'.repeat(5000))).rejects.toMatchObject({ code: 'MSG_MESSAGE_TOO_LARGE' }); // the client's own limit
        expect(await good.call('sum', 3, 4)).toBe(7);
        await good.close();
        await server.close();
      });
    }

    if (adapter.byteStream) {
      it('closes a connection that sends something other than MessagePack-RPC', async () => {
        const errors: Array<[boolean, string]> = [];
        const { server, port } = await serve({ onError: (_peer, fatal, message) => errors.push([fatal, message]) });
        const raw = net.connect(Number(port), '127.0.0.1');
        const closed = new Promise((r) => raw.on('close', r));
        raw.write(msgpackCodec().encode({ not: 'an rpc message' }));
        await closed;
        await waitFor(() => errors.length === 1, 'the error');
        expect(errors[0]).toEqual([true, 'a message that is not MessagePack-RPC (request, response or notification)']);
        await server.close();
      });
    }

    it('closes a connection that sends a message over the limit, and keeps serving others', async () => {
      const errors: boolean[] = [];
      const { server, port } = await serve({ handlerOptions: { maxMessageSize: 4096 }, onError: (_peer, fatal) => errors.push(fatal) });
      const good = new MprpcClient({ port, loop });
      const big = new MprpcClient({ port, loop, handlerOptions: { maxMessageSize: 1 << 20 } });
      expect(await big.call('sum', 1, 1)).toBe(2);
      await expect(big.call('echo', 'x'.repeat(5000))).rejects.toMatchObject({ name: 'TransportError',  code: 'MPRPC_DISCONNECTED' });
      expect(errors).toEqual([true]);
      expect(await good.call('sum', 3, 4)).toBe(7);
      await good.close();
      await server.close();
    });

    it('refuses our own calls past maxCalls without sending them', async () => {
      const { server, port } = await serve();
      const client = new MprpcClient({ port, loop, handlerOptions: { maxCalls: 2 } });
      const waiting = [client.call('later', 20, 'a'), client.call('later', 20, 'b')];
      await expect(client.call('sum', 1, 1)).rejects.toMatchObject({ name: 'UsageError',  code: 'MPRPC_TOO_MANY_CALLS' });
      expect(await Promise.all(waiting)).toEqual(['a', 'b']);
      expect(await client.call('sum', 1, 1)).toBe(2);
      await client.close();
      await server.close();
    });

    it('tells onEof when a client closes its connection', async () => {
      const ends: string[] = [];
      const { server, port } = await serve({ onEof: () => ends.push('eof'), onError: (_peer, fatal) => ends.push(`error fatal=${fatal}`) });
      const polite = new MprpcClient({ port, loop });
      await polite.call('sum', 1, 1);
      await polite.close();
      await waitFor(() => ends.length === 1, 'the end of the first client');
      expect(ends).toEqual(['eof']);
      await server.close();
    });

    it('reports a taken address through ready', async () => {
      const { server, port } = await serve();
      const second = new MprpcServer({ port, address: '127.0.0.1', loop });
      await expect(second.ready).rejects.toMatchObject({ code: 'LOOP_ADDRESS_IN_USE' });
      await server.close();
    });
  });
});
