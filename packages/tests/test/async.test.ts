import { spawn } from 'node:child_process';
import {
  AsyncClient,
  AsyncServer,
  Multiplexer,
  type Caller,
  type MuxEvent,
  type Procedures,
  type RpcError,
  type Untyped,
} from '@rpc/async';
import type { Connection } from '@rpc/msg';
import { socketPath, waitFor } from '@rpc/testkit';
import { adapters } from '../src/adapters.js';

/** The seed's example, plus procedures that answer when the test says. */
interface Api {
  add_numbers(args: { n1: number; n2: number }): [{ sum: number }];
  hold(name: string): [string];
  release(name: string): [];
  twice(): [string];
  invalid(): [];
}

describe.each(adapters)('RPC::Async on the $name loop', (adapter) => {
  const loop = adapter.loop();

  /** A started server driven by its own multiplexer; `hold` parks a call until `release` returns it. */
  async function start(where: { path: string } | { host: string; port: number } = { host: '127.0.0.1', port: 0 }) {
    const mux = new Multiplexer({ loop });
    const held = new Map<string, Caller<[string]>>();
    const server: AsyncServer<Api> = new AsyncServer<Api>({
      mux,
      ...where,
      procedures: {
        add_numbers: (caller, { n1, n2 }) => server.return(caller, { sum: n1 + n2 }),
        hold: (caller, name) => void held.set(name, caller),
        release: (caller, name) => {
          const parked = held.get(name);
          held.delete(name);
          if (parked) server.return(parked, name);
          server.return(caller);
        },
        twice: (caller) => {
          server.return(caller, 'first');
          server.return(caller, 'second'); // throws ASYNC_ALREADY_RETURNED: the client is disconnected
        },
        invalid: () => {
          throw new Error('invalid data');
        },
      },
    });
    try {
      await server.start();
    } catch (error) {
      await server.close();
      await mux.close();
      throw error;
    }
    const running = mux.run([(event) => server.io(event)]);
    const address = server.address;
    const target = 'path' in address ? { path: address.path } : { host: '127.0.0.1', port: address.port };
    const client = <T extends Procedures<T> = Api>(): Promise<AsyncClient<T>> =>
      new AsyncClient<T>({ loop, ...target }).connect();
    return {
      server,
      held,
      client,
      [Symbol.asyncDispose]: async () => {
        await server.close();
        await mux.close();
        await running;
      },
    };
  }

  describe.each([
    ['TCP', () => ({ host: '127.0.0.1', port: 0 })],
    ...(adapter.unix ? [['a Unix socket', () => ({ path: socketPath('async.sock') })] as const] : []),
  ] as Array<readonly [string, () => { path: string } | { host: string; port: number }]>)('over %s', (_name, where) => {
    it('answers many outstanding calls as their procedures return, in any order', async () => {
      await using s = await start(where());
      await using client = await s.client();
      expect(await client.call('add_numbers', { n1: 2, n2: 3 })).toEqual([{ sum: 5 }]);
      const order: string[] = [];
      const calls = ['slow', 'middle', 'fast'].map((name) =>
        client.call('hold', name).then((values) => {
          order.push(values[0]);
          return values;
        }),
      );
      expect(client.callsInFlight).toBe(3);
      await waitFor(() => s.held.size === 3, 'the three calls to be held');
      for (const name of ['fast', 'middle', 'slow']) await client.call('release', name);
      expect(await Promise.all(calls)).toEqual([['slow'], ['middle'], ['fast']]);
      expect(order).toEqual(['fast', 'middle', 'slow']);
    });
  });

  describe('AsyncServer and AsyncClient', () => {
    it('start once, emit connect, call and disconnect, and refuse to start or connect once closed', async () => {
      await using s = await start();
      expect(await s.server.start()).toBe(s.server);
      const seen: string[] = [];
      s.server.on('connect', () => seen.push('server: connect'));
      s.server.on('call', (_conn, request) => seen.push(`server: call ${request.method}`));
      s.server.on('disconnect', (_conn, error) => seen.push(`server: disconnect ${error?.message ?? 'clean'}`));
      await using client = await s.client();
      client.on('disconnect', (error) => seen.push(`client: disconnect ${error?.message ?? 'clean'}`));
      await client.call('add_numbers', { n1: 0, n2: 0 });
      await client.close();
      await waitFor(() => seen.length === 4, 'both ends to see the disconnect');
      expect(seen.sort()).toEqual([
        'client: disconnect clean',
        'server: call add_numbers',
        'server: connect',
        'server: disconnect clean',
      ]);
      await expect(client.connect()).rejects.toMatchObject({ name: 'UsageError', code: 'RPC_CLOSED' });
      await expect(client.call('add_numbers', { n1: 0, n2: 0 })).rejects.toMatchObject({
        name: 'UsageError',
        code: 'RPC_NOT_CONNECTED',
      });
      await s[Symbol.asyncDispose]();
      await expect(s.server.start()).rejects.toMatchObject({ name: 'UsageError', code: 'RPC_CLOSED' });
    });

    it('answers in the callback style too, and refuses unknown procedures', async () => {
      await using s = await start();
      await using client = await s.client<Untyped>();
      const answer = await new Promise((resolve) =>
        client.callback('add_numbers', [{ n1: 40, n2: 2 }], (...a) => resolve(a)),
      );
      expect(answer).toEqual([undefined, [{ sum: 42 }]]);
      const refused = await new Promise<unknown[]>((resolve) => client.callback('missing', [], (...a) => resolve(a)));
      expect(refused).toEqual([
        expect.objectContaining({ name: 'RemoteError', code: 'RPC_REMOTE', message: "no procedure named 'missing'" }),
        undefined,
      ]);
    });

    it('disconnects only the client whose call threw (invalid data, or a second return), and reports it', async () => {
      await using s = await start();
      const errors: RpcError[] = [];
      s.server.on('error', (error) => errors.push(error));
      await using bad = await s.client();
      await using good = await s.client();
      await expect(bad.call('invalid')).rejects.toMatchObject({ name: 'TransportError', code: 'RPC_DISCONNECTED' });
      await using again = await s.client();
      await expect(again.call('twice')).rejects.toMatchObject({ code: 'RPC_DISCONNECTED' });
      expect(errors.map((e) => [e.code, e.message])).toEqual([
        ['ASYNC_HANDLER_FAILED', 'invalid threw: invalid data'],
        ['ASYNC_HANDLER_FAILED', 'twice threw: twice (call 1) has returned already'],
      ]);
      expect(errors[1]?.cause).toMatchObject({ name: 'UsageError', code: 'ASYNC_ALREADY_RETURNED' });
      expect(await good.call('add_numbers', { n1: 1, n2: 1 })).toEqual([{ sum: 2 }]);
    });

    it('knows whether it has clients', async () => {
      await using s = await start();
      expect(s.server.hasClients()).toBe(false);
      await using client = await s.client();
      await client.call('add_numbers', { n1: 0, n2: 0 });
      expect(s.server.hasClients()).toBe(true);
      await client.close();
      await waitFor(() => !s.server.hasClients(), 'the client to leave');
    });

    it('gives up on calls when their signal aborts or the connection goes', async () => {
      await using s = await start();
      const accepted: Connection[] = [];
      s.server.on('connect', (connection) => accepted.push(connection));
      await using client = await s.client();
      const abort = new AbortController();
      const cancelled = client.callWith({ signal: abort.signal }, 'hold', 'a');
      const dropped = client.call('hold', 'b').catch((error: unknown) => error);
      await waitFor(() => s.held.size === 2, 'the calls to be held');
      abort.abort();
      await expect(cancelled).rejects.toMatchObject({ name: 'CancelError', code: 'RPC_CANCELLED' });
      await client.call('release', 'a'); // answered after we stopped waiting: dropped
      await Promise.all(accepted.map((connection) => connection.close())); // the server's close() would answer it
      expect(await dropped).toMatchObject({ name: 'TransportError', code: 'RPC_DISCONNECTED' });
    });
  });

  describe('several servers sharing one multiplexer', () => {
    it('each takes its own events and passes the rest on, as $rpc->io($event) chains', async () => {
      await using mux = new Multiplexer({ loop });
      await using first: AsyncServer = new AsyncServer({
        mux,
        host: '127.0.0.1',
        procedures: { whoami: (caller) => first.return(caller, 'first') },
      });
      await using second: AsyncServer = new AsyncServer({
        mux,
        host: '127.0.0.1',
        procedures: { whoami: (caller) => second.return(caller, 'second') },
      });
      await Promise.all([first.start(), second.start()]);
      // Another source on the same loop: a pipe, as the Msg toolkit watches STDIN.
      using cat = spawn('cat', [], { stdio: ['pipe', 'pipe', 'inherit'] }); // killed at the end if still running
      mux.watch(cat.stdout);
      const rest: string[] = [];
      const running = (async () => {
        for await (let event of mux) {
          const passed: MuxEvent | undefined = first.io(event);
          if (passed === undefined) continue;
          event = passed;
          const left = second.io(event);
          if (left === undefined) continue;
          rest.push(left.type === 'read' ? `read ${Buffer.from(left.data).toString()}` : left.type);
        }
      })();
      const portOf = (server: AsyncServer) => (server.address as { port: number }).port;
      await using a = await new AsyncClient({ loop, host: '127.0.0.1', port: portOf(first) }).connect();
      await using b = await new AsyncClient({ loop, host: '127.0.0.1', port: portOf(second) }).connect();
      expect(await Promise.all([a.call('whoami'), b.call('whoami')])).toEqual([['first'], ['second']]);
      cat.stdin.end('typed');
      await waitFor(() => rest.includes('end'), 'the pipe events');
      expect(rest).toEqual(['read typed', 'end']);
      await Promise.all([a.close(), b.close()]);
      await mux.close();
      await running;
    });

    it('stops reading connections while the program falls behind, and catches up without losing calls', async () => {
      await using mux = new Multiplexer({ loop, maxQueuedEvents: 8 });
      await using server: AsyncServer = new AsyncServer({
        mux,
        host: '127.0.0.1',
        procedures: { echo: (caller, n) => server.return(caller, n) },
      });
      await server.start();
      await using client = await new AsyncClient({
        loop,
        host: '127.0.0.1',
        port: (server.address as { port: number }).port,
      }).connect();
      const calls = Array.from({ length: 200 }, (_, i) => client.call('echo', i));
      // Nobody reads events yet: the queue fills to 8 and stays there, the rest waits in the connection and the socket.
      await waitFor(() => mux.queuedEvents === 8, 'the queue to fill');
      await new Promise((r) => setTimeout(r, 20));
      expect(mux.queuedEvents).toBe(8);
      const running = mux.run([(event) => server.io(event)]);
      expect(await Promise.all(calls)).toEqual(Array.from({ length: 200 }, (_, i) => [i]));
      await client.close();
      await mux.close();
      await running;
    });
  });
});
