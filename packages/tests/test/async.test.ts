import { spawn } from 'node:child_process';
import { AsyncClient, AsyncServer, type RpcError, Multiplexer, type Caller, type MuxEvent } from '@rpc/async';
import type { Endpoint } from '@rpc/loop';
import { socketPath, waitFor } from '@rpc/testkit';
import { adapters } from '../src/adapters.js';

const local: Endpoint = { host: '127.0.0.1', port: 0 };

/** The seed's example server, plus procedures that answer later. */
function procedures(server: () => AsyncServer) {
  return {
    add_numbers: (caller: Caller, args: unknown) => {
      const { n1, n2 } = args as { n1: number; n2: number };
      server().return(caller, { sum: n1 + n2 });
    },
    later: (caller: Caller, ms: unknown, value: unknown) => void setTimeout(() => server().return(caller, value, ms), Number(ms)),
    twice: (caller: Caller) => {
      server().return(caller, 'first');
      server().return(caller, 'second'); // throws ASYNC_ALREADY_RETURNED: the client is disconnected
    },
    invalid: () => {
      throw new Error('invalid data');
    },
  };
}

describe.each(adapters)('RPC::Async on the $name loop', (adapter) => {
  const loop = adapter.loop();

  async function start(endpoint: Endpoint = local) {
    const mux = new Multiplexer({ loop });
    const server: AsyncServer = new AsyncServer(mux, procedures(() => server));
    const address = await server.listen(endpoint);
    const running = mux.run([(event) => server.io(event)]);
    return { mux, server, address: address as Endpoint, stop: async () => (await mux.close(), await running) };
  }


  describe.each([
    ['TCP', () => local],
    ...(adapter.unix ? [['a Unix socket', (): Endpoint => ({ path: socketPath('async.sock') })] as const] : []),
  ] as Array<readonly [string, () => Endpoint]>)('procedures that answer later, over %s', (_name, endpoint) => {
    it('answers many outstanding calls as their procedures return, in any order', async () => {
      const { address, stop } = await start(endpoint());
      const client = await AsyncClient.connect(address, { loop });
      expect(await client.call('add_numbers', { n1: 2, n2: 3 })).toEqual([{ sum: 5 }]);
      const order: string[] = [];
      const calls = [['slow', 60], ['middle', 30], ['fast', 1]].map(([value, ms]) => client.call('later', ms, value).then((values) => (order.push(String(values[0])), values)));
      expect(client.outstanding).toBe(3);
      expect(await Promise.all(calls)).toEqual([['slow', 60], ['middle', 30], ['fast', 1]]);
      expect(order).toEqual(['fast', 'middle', 'slow']);
      await client.close();
      await stop();
    });
  });

  describe('AsyncServer', () => {
    it('answers in the callback style too, and refuses unknown procedures', async () => {
      const { address, stop } = await start();
      const client = await AsyncClient.connect(address, { loop });
      const answer = await new Promise<[RpcError | undefined, unknown[]]>((resolve) => client.callback('add_numbers', [{ n1: 40, n2: 2 }], (...a) => resolve(a)));
      expect(answer).toEqual([undefined, [{ sum: 42 }]]);
      await expect(client.call('missing')).rejects.toMatchObject({ name: 'RemoteError',  code: 'ASYNC_REMOTE', message: "no procedure named 'missing'" });
      await client.close();
      await stop();
    });

    it('disconnects only the client whose call threw (invalid data, or a second return), and reports it', async () => {
      const { server, address, stop } = await start();
      const errors: RpcError[] = [];
      server.on('error', (error) => errors.push(error));
      const bad = await AsyncClient.connect(address, { loop });
      const good = await AsyncClient.connect(address, { loop });
      await expect(bad.call('invalid')).rejects.toMatchObject({ code: 'ASYNC_DISCONNECTED' });
      const again = await AsyncClient.connect(address, { loop });
      await expect(again.call('twice')).rejects.toMatchObject({ code: 'ASYNC_DISCONNECTED' });
      expect(errors.map((e) => [e.code, e.message])).toEqual([
        ['ASYNC_HANDLER_FAILED', 'invalid threw: invalid data'],
        ['ASYNC_HANDLER_FAILED', 'twice threw: twice (call 1) has returned already'],
      ]);
      expect((errors[1]?.cause as RpcError).code).toBe('ASYNC_ALREADY_RETURNED');
      expect(await good.call('add_numbers', { n1: 1, n2: 1 })).toEqual([{ sum: 2 }]);
      await good.close();
      await stop();
    });

    it('knows whether it has clients', async () => {
      const { server, address, stop } = await start();
      expect(server.hasClients()).toBe(false);
      const client = await AsyncClient.connect(address, { loop });
      await client.call('add_numbers', { n1: 0, n2: 0 });
      expect(server.hasClients()).toBe(true);
      await client.close();
      await waitFor(() => !server.hasClients(), 'the client to leave');
      await stop();
    });
  });

  describe('several servers sharing one multiplexer', () => {
    it('each takes its own events and passes the rest on, as $rpc->io($event) chains', async () => {
      const mux = new Multiplexer({ loop });
      const first: AsyncServer = new AsyncServer(mux, { whoami: (caller) => first.return(caller, 'first') });
      const second: AsyncServer = new AsyncServer(mux, { whoami: (caller) => second.return(caller, 'second') });
      const [a, b] = [await first.listen(local), await second.listen(local)];
      // Another source on the same loop: a pipe, as the Msg toolkit watches STDIN.
      const cat = spawn('cat', [], { stdio: ['pipe', 'pipe', 'inherit'] });
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
      const [ca, cb] = [await AsyncClient.connect(a as Endpoint, { loop }), await AsyncClient.connect(b as Endpoint, { loop })];
      expect(await Promise.all([ca.call('whoami'), cb.call('whoami')])).toEqual([['first'], ['second']]);
      cat.stdin.end('typed');
      await waitFor(() => rest.includes('end'), 'the pipe events');
      expect(rest).toEqual(['read typed', 'end']);
      await Promise.all([ca.close(), cb.close()]);
      await mux.close();
      await running;
    });

    it('stops reading connections while the program falls behind, and catches up without losing calls', async () => {
      const mux = new Multiplexer({ loop, maxQueuedEvents: 8 });
      const server: AsyncServer = new AsyncServer(mux, { echo: (caller, n) => server.return(caller, n) });
      const address = await server.listen(local);
      const client = await AsyncClient.connect(address as Endpoint, { loop });
      const calls = Array.from({ length: 200 }, (_, i) => client.call('echo', i));
      // Nobody reads events yet: the queue holds at most 8 and the rest waits in the connection and the socket.
      await new Promise((r) => setTimeout(r, 50));
      expect(mux.queuedEvents).toBeLessThanOrEqual(8);
      const running = mux.run([(event) => server.io(event)]);
      expect(await Promise.all(calls)).toEqual(Array.from({ length: 200 }, (_, i) => [i]));
      await client.close();
      await mux.close();
      await running;
    });
  });
});
