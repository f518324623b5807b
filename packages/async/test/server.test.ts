import { msgpackCodec } from '@rpc/codec-msgpack';
import { AsyncClient, AsyncServer, Multiplexer, type Caller, type RpcError } from '@rpc/async';
import { MemoryTransport, RxLoop, runInVirtualTime } from '@rpc/loop-rxjs';
import { VirtualTimeScheduler } from 'rxjs';

interface Api {
  add_numbers(args: { n1: number; n2: number }): [{ sum: number }];
  /** Returns `value` after `ms` of the server loop's (virtual) time. */
  after(ms: number, value: string): [string];
  never(): [];
}

/** A server, its multiplexer running, and a client, all in virtual time. */
function virtually(
  work: (client: AsyncClient<Api>, server: AsyncServer<Api>, loop: RxLoop) => Promise<void>,
): Promise<void> {
  const scheduler = new VirtualTimeScheduler();
  const loop = new RxLoop({ scheduler, transport: new MemoryTransport(scheduler) });
  return runInVirtualTime(scheduler, async () => {
    const mux = new Multiplexer({ loop });
    const server: AsyncServer<Api> = new AsyncServer<Api>({
      mux,
      host: 'memory',
      procedures: {
        add_numbers: (caller, { n1, n2 }) => server.return(caller, { sum: n1 + n2 }),
        after: (caller: Caller<[string]>, ms, value) => void loop.timer(ms, () => server.return(caller, value)),
        never: () => undefined,
      },
    });
    const running = mux.run([(event) => server.io(event)]);
    let client: AsyncClient<Api> | undefined;
    try {
      await server.start();
      client = new AsyncClient<Api>({ loop, host: 'memory', port: (server.address as { port: number }).port });
      await client.connect();
      await work(client, server, loop);
    } finally {
      await client?.close();
      await server.close();
      await mux.close();
      await running;
    }
  });
}

describe('AsyncServer and AsyncClient in virtual time', () => {
  it('answer each call when its procedure returns, in the order they return', () =>
    virtually(async (client, _server, loop) => {
      const started = loop.now();
      const answers: string[] = [];
      const calls = [
        ['slow', 300],
        ['fast', 100],
        ['middle', 200],
      ].map(([value, ms]) =>
        client
          .call('after', Number(ms), String(value))
          .then(([v]) => void answers.push(`${v} at ${loop.now() - started}`)),
      );
      await Promise.all(calls);
      expect(answers).toEqual(['fast at 100', 'middle at 200', 'slow at 300']);
      expect(await client.call('add_numbers', { n1: 2, n2: 3 })).toEqual([{ sum: 5 }]);
    }));

  it('give up on a call at its deadline, the client’s default or its own, and drop the late return', () =>
    virtually(async (_client, server, loop) => {
      const port = (server.address as { port: number }).port;
      await using client = await new AsyncClient<Api>({ loop, host: 'memory', port, deadlineMs: 30_000 }).connect();
      const started = loop.now();
      await expect(client.call('never')).rejects.toMatchObject({ name: 'CancelError', code: 'RPC_DEADLINE' });
      expect(loop.now() - started).toBe(30_000);
      await expect(client.callWith({ deadlineMs: 50 }, 'after', 100, 'late')).rejects.toMatchObject({
        code: 'RPC_DEADLINE',
      });
      // The late one came meanwhile, and was dropped.
      expect(await client.call('after', 100, 'on time')).toEqual(['on time']);
      expect(client.callsInFlight).toBe(0);
    }));

  it('refuse calls past maxCalls without sending them', () =>
    virtually(async (_client, server, loop) => {
      const port = (server.address as { port: number }).port;
      await using client = await new AsyncClient<Api>({ loop, host: 'memory', port, maxCalls: 1 }).connect();
      const first = client.call('after', 10, 'first');
      await expect(client.call('add_numbers', { n1: 1, n2: 1 })).rejects.toMatchObject({
        name: 'UsageError',
        code: 'RPC_TOO_MANY_CALLS',
      });
      expect(await first).toEqual(['first']);
    }));

  it('disconnect a client that sends something other than a call', () =>
    virtually(async (_client, server, loop) => {
      const errors: RpcError[] = [];
      server.on('error', (error) => errors.push(error));
      const port = (server.address as { port: number }).port;
      await using mux = new Multiplexer({ loop });
      const raw = await mux.connect({ host: 'memory', port });
      raw.sendLater(msgpackCodec().encode([1, 1, null, ['a return, not a call']]));
      await raw.done;
      expect(errors.map((e) => [e.name, e.code, e.message])).toEqual([
        ['ProtocolError', 'ASYNC_BAD_MESSAGE', 'a message that is not a procedure call'],
      ]);
    }));
});

describe('AsyncClient facing a server that breaks the protocol', () => {
  it('closes the connection over anything but a return, and fails the calls outstanding', async () => {
    const scheduler = new VirtualTimeScheduler();
    const loop = new RxLoop({ scheduler, transport: new MemoryTransport(scheduler) });
    await runInVirtualTime(scheduler, async () => {
      await using mux = new Multiplexer({ loop });
      const listener = await mux.listen({ host: 'memory', port: 0 });
      await using client = await new AsyncClient({
        loop,
        host: 'memory',
        port: (listener.address as { port: number }).port,
      }).connect();
      const errors: Error[] = [];
      client.on('error', (error) => errors.push(error));
      const call = client.call('anything').catch((e: unknown) => e);
      const accepted = await mux.next();
      if (accepted.value?.type !== 'accepted') throw new Error('expected a connection');
      accepted.value.connection.sendLater(msgpackCodec().encode([0, 1, 'a call, not a return', []]));
      expect(await call).toMatchObject({ name: 'TransportError', code: 'RPC_DISCONNECTED' });
      expect(errors).toEqual([expect.objectContaining({ name: 'ProtocolError', code: 'ASYNC_BAD_MESSAGE' })]);
      expect(client.connected).toBe(false);
    });
  });
});
