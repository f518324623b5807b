import {
  AsyncClient,
  AsyncServer,
  type AsyncServerOptions,
  type Caller,
  Multiplexer,
  type MuxEvent,
  type RpcError,
} from '@rpc/async';
import { msgpackCodec } from '@rpc/codec-msgpack';
import { MemoryTransport, RxLoop, runInVirtualTime } from '@rpc/loop-rxjs';
import type { Connection } from '@rpc/msg';
import { waitFor } from '@rpc/testkit';
import { VirtualTimeScheduler } from 'rxjs';
import { settled, silentClient, zero } from './limit-helpers.js';

const codec = msgpackCodec();
/** A call as RPC::Async frames it: a 4-byte length, then MessagePack. */
function frame(id: number, procedure: string, ...args: unknown[]): Uint8Array {
  const payload = codec.encode([0, id, procedure, args]);
  const framed = new Uint8Array(4 + payload.length);
  new DataView(framed.buffer).setUint32(0, payload.length);
  framed.set(payload, 4);
  return framed;
}

type Options = Omit<AsyncServerOptions, 'mux' | 'procedures'>;

/** A started server on 127.0.0.1, its own multiplexer running; `errors` collects its error events. */
async function serve(options: Options = {}) {
  const mux = new Multiplexer();
  const held: Caller[] = [];
  const server: AsyncServer = new AsyncServer({
    mux,
    host: '127.0.0.1',
    ...options,
    procedures: {
      sum: (caller, a, b) => server.return(caller, Number(a) + Number(b)),
      bytes: (caller, n) => server.return(caller, new Uint8Array(Number(n))),
      later: (caller, n) => void setTimeout(() => server.return(caller, new Uint8Array(Number(n))), 0),
      hold: (caller) => void held.push(caller),
      cyclic: (caller) => {
        const value: Record<string, unknown> = {};
        value.self = value;
        server.return(caller, value);
      },
    },
  });
  const errors: RpcError[] = [];
  server.on('error', (error) => errors.push(error));
  await server.start();
  const running = mux.run([(event) => server.io(event)]);
  const port = (server.address as { port: number }).port;
  const client = (): Promise<AsyncClient> => new AsyncClient({ host: '127.0.0.1', port }).connect();
  return {
    server,
    mux,
    held,
    errors,
    port,
    client,
    [Symbol.asyncDispose]: async () => {
      await server.close();
      await mux.close();
      await running;
    },
  };
}

describe('an AsyncServer facing a client that does not read', () => {
  it.each([
    ['returned at once', 'bytes', 'MSG_QUEUE_FULL', { maxQueueBytes: 64 * 1024 }],
    ['returned from a timer', 'later', 'MSG_QUEUE_FULL', { maxQueueBytes: 64 * 1024 }],
    ['returned from a timer, past the server-wide budget', 'later', 'MSG_SERVER_BUSY', { maxBufferedBytes: 64 * 1024 }],
  ] as const)(
    'closes only that connection when not even an error can be queued (%s)',
    async (_name, procedure, cause, limits) => {
      await using s = await serve(limits);
      await using good = await s.client();
      await using silent = await silentClient(s.port);
      // Calls for values as large as the whole queue, in one chunk: the second return finds it full.
      silent.write(Buffer.concat(Array.from({ length: 8 }, (_, i) => frame(i, procedure, 64 * 1024))));
      await waitFor(() => s.errors.length > 0, 'the error event');
      expect(s.errors[0]).toMatchObject({ name: 'TransportError', code: 'RPC_ANSWER_FAILED' });
      expect(s.errors[0]?.message).toMatch(
        /^RPC_ANSWER_FAILED: cannot send the values of (bytes|later): .*; nor an error/,
      );
      expect(s.errors[0]?.cause).toMatchObject({ code: cause });
      expect(await good.call('sum', 1, 2)).toEqual([3]);
      await waitFor(() => s.server.stats().connections === 1, 'the silent client to be gone');
      expect(s.errors).toHaveLength(1); // its close is not told twice
      expect(s.server.stats().errors).toEqual({ RPC_ANSWER_FAILED: 2 }); // the values, then the close
    },
  );

  it('has its connection read no further while the program falls behind (maxQueuedEvents)', async () => {
    await using mux = new Multiplexer({ maxQueuedEvents: 8 });
    const listener = await mux.listen({ host: '127.0.0.1', port: 0 });
    await using silent = await silentClient((listener.address as { port: number }).port);
    const accepted = (await mux.next()).value as Extract<MuxEvent, { type: 'accepted' }>;
    // Calls of 1 KiB: msg's receive buffer holds a thousand of them, not tens of thousands of tiny ones.
    const burst = Buffer.concat(Array.from({ length: 256 }, () => frame(1, 'sum', 'x'.repeat(1024), 2)));
    let written = 0;
    // Until the kernel's buffers are full too and the client's own writes wait.
    for (let i = 0; i < 1000 && silent.writableLength === 0; i++) {
      silent.write(burst);
      written += burst.length;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const bytesIn = accepted.connection.stats().bytesIn;
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Reading stopped: the queue holds its 8 events and one in hand, the connection its receive buffer, and the
    // rest waits in the kernel and the client.
    expect(accepted.connection.stats().bytesIn).toBe(bytesIn);
    expect(mux.queuedEvents).toBeLessThanOrEqual(9);
    expect(mux.queuedFor(accepted.connection)).toBe(mux.queuedEvents);
    expect(bytesIn).toBeLessThan(4 * 1024 * 1024);
    expect(silent.writableLength).toBeGreaterThan(0);
    expect(written).toBeGreaterThan(bytesIn);
    await listener.close();
  });
});

describe('an AsyncServer whose values cannot be encoded', () => {
  it('answers the caller with RPC_ANSWER_FAILED and keeps the connection', async () => {
    await using s = await serve();
    await using client = await s.client();
    await expect(client.call('cyclic')).rejects.toMatchObject({
      name: 'RemoteError',
      code: 'RPC_REMOTE',
      message: expect.stringMatching(/^RPC_ANSWER_FAILED: cannot send the values of cyclic: /),
    });
    expect(await client.call('sum', 1, 1)).toEqual([2]);
    expect(s.server.stats().errors).toEqual({ RPC_ANSWER_FAILED: 1 });
  });
});

describe('AsyncServer listeners that throw', () => {
  it('are reported as ASYNC_LISTENER_FAILED, and stop neither the loop nor the server’s bookkeeping', async () => {
    await using s = await serve();
    for (const event of ['connect', 'call', 'disconnect', 'error'] as const) {
      s.server.on(event, () => {
        throw new Error(`${event} listener broke`);
      });
    }
    const client = await s.client();
    expect(await client.call('sum', 1, 2)).toEqual([3]);
    await client.close();
    await waitFor(() => !s.server.hasClients(), 'the server to see the client go');
    expect(s.errors.map((e) => [e.name, e.code, e.message])).toEqual([
      ['UsageError', 'ASYNC_LISTENER_FAILED', "a 'connect' listener threw: connect listener broke"],
      ['UsageError', 'ASYNC_LISTENER_FAILED', "a 'call' listener threw: call listener broke"],
      ['UsageError', 'ASYNC_LISTENER_FAILED', "a 'disconnect' listener threw: disconnect listener broke"],
    ]);
    expect(s.server.stats()).toMatchObject({ ...zero, perConnection: [], callsServed: 1 });
    expect(s.server.stats().errors).toEqual({ ASYNC_LISTENER_FAILED: 6 });
    await using again = await s.client(); // the loop still runs
    expect(await again.call('sum', 2, 2)).toEqual([4]);
  });
});

describe('AsyncClient listeners that throw', () => {
  it('are reported as ASYNC_LISTENER_FAILED too', async () => {
    await using s = await serve();
    await using client = new AsyncClient({ host: '127.0.0.1', port: s.port });
    const errors: RpcError[] = [];
    client.on('error', (error) => errors.push(error as RpcError));
    client.on('connect', () => {
      throw new Error('connect listener broke');
    });
    await client.connect();
    expect(await client.call('sum', 1, 2)).toEqual([3]);
    expect(errors.map((e) => e.code)).toEqual(['ASYNC_LISTENER_FAILED']);
  });
});

describe('AsyncServer limits', () => {
  it('answers calls past maxInFlight at once with RPC_LIMIT', async () => {
    await using s = await serve({ maxInFlight: 2 });
    await using client = await s.client();
    const held = [client.call('hold'), client.call('hold')];
    await waitFor(() => s.held.length === 2, 'two calls to be held');
    await expect(client.call('sum', 1, 1)).rejects.toMatchObject({
      code: 'RPC_REMOTE',
      message: 'RPC_LIMIT: too many calls in flight (the limit is 2)',
    });
    for (const caller of s.held) s.server.return(caller, 'done');
    expect(await Promise.all(held)).toEqual([['done'], ['done']]);
    expect(await client.call('sum', 1, 1)).toEqual([2]);
    expect(s.server.stats()).toMatchObject({ callsInFlight: 0, callsServed: 3, errors: { RPC_LIMIT: 1 } });
  });

  it('refuses connections past maxConnectionsPerAddress and maxConnections, and counts them', async () => {
    for (const limits of [{ maxConnectionsPerAddress: 1 }, { maxConnections: 1 }]) {
      await using s = await serve(limits);
      const refused: Array<Connection | undefined> = [];
      s.server.on('error', (_error, connection) => refused.push(connection));
      await using first = await s.client();
      await using _second = await silentClient(s.port);
      await waitFor(() => s.errors.length > 0, 'the second connection to be refused');
      expect(s.errors.map((e) => e.code)).toEqual(['MSG_TOO_MANY_CONNECTIONS']);
      expect(refused).toEqual([undefined]);
      expect(s.server.stats()).toMatchObject({ connections: 1, refused: 1, errors: { MSG_TOO_MANY_CONNECTIONS: 1 } });
      expect(await first.call('sum', 1, 1)).toEqual([2]);
    }
  });

  it('refuses limits out of range with a UsageError (MSG_INVALID_OPTION for the connection gate)', () => {
    const mux = new Multiplexer();
    const bad: Options[] = [
      { maxInFlight: 0 },
      { maxQueueBytes: 1.5 },
      { maxConnections: 0 },
      { maxBufferedBytes: -1 },
      { sendTimeoutMs: 0 },
      { idleTimeoutMs: -1 },
      { shutdownTimeoutMs: -1 },
    ];
    for (const options of bad)
      expect(() => new AsyncServer({ mux, procedures: {}, ...options })).toThrow(
        expect.objectContaining({ name: 'UsageError', code: expect.stringMatching(/^(RPC|MSG)_INVALID_OPTION$/) }),
      );
    expect(() => new Multiplexer({ maxQueuedEvents: 0 })).toThrow(
      expect.objectContaining({ code: 'RPC_INVALID_OPTION' }),
    );
  });
});

/** A server, its multiplexer running, and a client, on one virtual-time loop. */
function virtually(
  options: Options,
  work: (s: { server: AsyncServer; client: AsyncClient; loop: RxLoop; held: Caller[]; port: number }) => Promise<void>,
): Promise<void> {
  const scheduler = new VirtualTimeScheduler();
  const loop = new RxLoop({ scheduler, transport: new MemoryTransport(scheduler) });
  return runInVirtualTime(scheduler, async () => {
    const held: Caller[] = [];
    await using mux = new Multiplexer({ loop });
    await using server: AsyncServer = new AsyncServer({
      mux,
      host: 'memory',
      ...options,
      procedures: {
        sum: (caller, a, b) => server.return(caller, Number(a) + Number(b)),
        after: (caller, ms) => void loop.timer(Number(ms), () => server.return(caller, `after ${ms}`)),
        hold: (caller) => void held.push(caller),
      },
    });
    await server.start();
    const running = mux.run([(event) => server.io(event)]);
    const port = (server.address as { port: number }).port;
    try {
      await using client = await new AsyncClient({ host: 'memory', port, loop }).connect();
      await work({ server, client, loop, held, port });
    } finally {
      await server.close();
      await mux.close();
      await running;
    }
  });
}

const sleep = (loop: RxLoop, ms: number): Promise<void> => new Promise((resolve) => loop.timer(ms, resolve));

describe('AsyncServer.close()', () => {
  it('lets calls in flight return within shutdownTimeoutMs, answers the rest with RPC_SHUTDOWN, and resolves', () =>
    virtually({ shutdownTimeoutMs: 5000 }, async ({ server, client, loop }) => {
      const quick = client.call('after', 1000);
      const slow = client.call('after', 60_000).catch((error: unknown) => error);
      await sleep(loop, 10);
      expect(server.stats().callsInFlight).toBe(2);
      const started = loop.now();
      const closing = server.close();
      await expect(client.call('sum', 1, 2)).rejects.toMatchObject({
        code: 'RPC_REMOTE',
        message: 'RPC_SHUTDOWN: the server is shutting down; sum was not called',
      });
      expect(await quick).toEqual(['after 1000']);
      expect(await slow).toMatchObject({
        code: 'RPC_REMOTE',
        message: 'RPC_SHUTDOWN: the server closed after waiting 5000 ms; after did not return',
      });
      await closing;
      expect(loop.now() - started).toBe(5000);
      expect(server.close()).toBe(closing);
      expect(server.stats()).toMatchObject({ ...zero, perConnection: [], errors: { RPC_SHUTDOWN: 2 } });
      await sleep(loop, 60_000); // the slow procedure returns now: dropped, nothing thrown
    }));

  it('resolves as soon as the last call in flight returns, and stops listening at once', () =>
    virtually({ shutdownTimeoutMs: 5000 }, async ({ server, client, loop, held, port }) => {
      const kept = client.call('hold');
      await sleep(loop, 10);
      const closing = server.close();
      await sleep(loop, 1);
      const started = loop.now();
      await expect(new AsyncClient({ host: 'memory', port, loop }).connect()).rejects.toMatchObject({
        name: 'TransportError',
      });
      loop.timer(100, () => server.return(held[0] as Caller, 'kept'));
      await closing;
      expect(loop.now() - started).toBe(100);
      expect(await kept).toEqual(['kept']);
    }));

  it('aborts the signal of a call it gives up on, and drops its late return', () =>
    virtually({ shutdownTimeoutMs: 5000 }, async ({ server, client, loop, held }) => {
      const given = client.call('hold').catch((error: unknown) => error);
      await sleep(loop, 10);
      const [caller] = held as [Caller];
      const closing = server.close();
      await sleep(loop, 4000);
      expect(caller.signal.aborted).toBe(false);
      await closing;
      expect(caller.signal.reason).toMatchObject({ name: 'TransportError', code: 'RPC_SHUTDOWN' });
      expect(await given).toMatchObject({ message: expect.stringMatching(/^RPC_SHUTDOWN: /) });
      expect(() => server.return(caller, 'too late')).not.toThrow();
      expect(() => server.return(caller, 'again')).toThrow(expect.objectContaining({ code: 'ASYNC_ALREADY_RETURNED' }));
    }));
});

describe('AsyncServer timeouts', () => {
  it('closes a client silent for idleTimeoutMs (MSG_IDLE_TIMEOUT)', () =>
    virtually({ idleTimeoutMs: 1000 }, async ({ server, client, loop }) => {
      const errors: RpcError[] = [];
      server.on('error', (error) => errors.push(error));
      expect(await client.call('sum', 1, 1)).toEqual([2]);
      await sleep(loop, 2000);
      expect(client.connected).toBe(false);
      expect(errors.map((e) => e.code)).toEqual(['MSG_IDLE_TIMEOUT']);
    }));

  it('closes a client whose message takes longer than messageTimeoutMs (MSG_MESSAGE_TIMEOUT)', () =>
    virtually({ messageTimeoutMs: 1000 }, async ({ server, loop, port }) => {
      const errors: RpcError[] = [];
      server.on('error', (error) => errors.push(error));
      const channel = await loop.connect({ host: 'memory', port });
      channel.write(frame(1, 'sum', 1, 2).subarray(0, 6)); // begun, never finished
      await sleep(loop, 2000);
      expect(channel.closed).toBe(true);
      expect(errors.map((e) => e.code)).toEqual(['MSG_MESSAGE_TIMEOUT']);
    }));
});

describe('AsyncServer.stats()', () => {
  it('counts calls and bytes per client, and returns to zero once every client has gone, however', async () => {
    await using s = await serve();
    await using client = await s.client();
    expect(await client.call('sum', 1, 2)).toEqual([3]);
    const held = client.call('hold').catch(() => undefined);
    const raw = await silentClient(s.port); // an abrupt one: two calls in flight, then reset
    raw.write(Buffer.concat([frame(1, 'hold'), frame(2, 'hold')]));
    await waitFor(() => s.held.length === 3, 'the three calls to be held');
    const stats = s.server.stats();
    expect(stats).toMatchObject({ connections: 2, callsInFlight: 3, callsQueued: 0, callsServed: 1 });
    const [mine, theirs] = stats.perConnection;
    expect(mine).toMatchObject({ id: 1, remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/), callsInFlight: 1 });
    expect(mine?.bytesIn).toBeGreaterThan(0);
    expect(mine?.bytesOut).toBeGreaterThan(0);
    expect(theirs).toMatchObject({ id: 2, callsInFlight: 2, callsServed: 0, queuedBytes: 0, partialBytes: 0 });
    raw.resetAndDestroy();
    await waitFor(() => s.server.stats().connections === 1, 'the reset client to be gone');
    expect(s.held.filter((caller) => caller.signal.aborted).map((caller) => caller.signal.reason.code)).toEqual([
      'RPC_DISCONNECTED',
      'RPC_DISCONNECTED',
    ]);
    await client.close();
    await held;
    await waitFor(() => s.server.stats().connections === 0, 'the client to be gone');
    expect(settled(s.server.stats())).toEqual(zero);
    expect(s.server.stats()).toMatchObject({ callsServed: 1, errors: { LOOP_CONNECTION_RESET: 1 } });
    for (const caller of s.held) s.server.return(caller, 'late'); // nobody waits: dropped
  });
});
