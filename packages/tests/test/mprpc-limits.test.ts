import { msgpackCodec } from '@rpc/codec-msgpack';
import { MemoryTransport, RxLoop, runInVirtualTime } from '@rpc/loop-rxjs';
import {
  MprpcClient,
  MprpcServer,
  type MprpcPeer,
  type MprpcResult,
  type MprpcServerOptions,
  type RpcError,
} from '@rpc/mprpc';
import { waitFor } from '@rpc/testkit';
import { VirtualTimeScheduler } from 'rxjs';
import { settled, silentClient, zero } from './limit-helpers.js';

const codec = msgpackCodec();
const request = (id: number, method: string, ...params: unknown[]): Uint8Array => codec.encode([0, id, method, params]);

/** A started server on 127.0.0.1 with methods that answer now, later, or never; `errors` collects its error events. */
async function serve(options: Partial<MprpcServerOptions> = {}) {
  const held: MprpcResult[] = [];
  const server = new MprpcServer({ host: '127.0.0.1', port: 0, ...options }).regCb({
    sum: (res, a, b) => res?.result(Number(a) + Number(b)),
    bytes: (res, n) => res?.result(new Uint8Array(Number(n))),
    later: (res, n) => void setTimeout(() => res?.result(new Uint8Array(Number(n))), 0),
    hold: (res) => void (res && held.push(res)),
    cyclic: (res) => {
      const value: Record<string, unknown> = {};
      value.self = value;
      res?.result(value);
    },
  });
  const errors: RpcError[] = [];
  server.on('error', (error) => errors.push(error as RpcError));
  await server.start();
  return { server, held, errors, port: server.port as number, [Symbol.asyncDispose]: () => server.close() };
}

describe('an MprpcServer facing a client that does not read', () => {
  it.each([
    ['answered at once', 'bytes', 'MSG_QUEUE_FULL', { maxQueueBytes: 64 * 1024 }],
    ['answered from a timer', 'later', 'MSG_QUEUE_FULL', { maxQueueBytes: 64 * 1024 }],
    ['answered from a timer, past the server-wide budget', 'later', 'MSG_SERVER_BUSY', { maxBufferedBytes: 64 * 1024 }],
  ] as const)(
    'closes only that connection when not even an error answer can be queued (%s)',
    async (_name, method, cause, limits) => {
      await using s = await serve({ handlerOptions: limits });
      await using good = await new MprpcClient({ host: '127.0.0.1', port: s.port }).connect();
      await using silent = await silentClient(s.port);
      // One chunk of requests, each for an answer as large as the whole queue: the second answer finds it full.
      silent.write(Buffer.concat(Array.from({ length: 8 }, (_, i) => request(i, method, 64 * 1024))));
      await waitFor(() => s.errors.length > 0, 'the error event');
      await waitFor(() => s.server.stats().connections === 1, 'the silent client to be closed');
      expect(s.errors[0]).toMatchObject({ name: 'TransportError', code: 'RPC_ANSWER_FAILED' });
      expect(s.errors[0]?.message).toMatch(/^cannot send the result of (bytes|later): .*; nor an error in its place/);
      expect(s.errors[0]?.cause).toMatchObject({ code: cause });
      expect(await good.call('sum', 1, 2)).toBe(3);
      expect(s.server.stats().errors).toMatchObject({ RPC_ANSWER_FAILED: 2 }); // the answer, then the error answer
    },
  );

  it('is closed after sendTimeoutMs of reading nothing, while others are served', async () => {
    await using s = await serve({ handlerOptions: { maxQueueBytes: 1024 * 1024, sendTimeoutMs: 300 } });
    await using good = await new MprpcClient({ host: '127.0.0.1', port: s.port }).connect();
    await using silent = await silentClient(s.port);
    const closed = (): boolean => s.server.stats().connections === 1;
    for (let id = 0; !closed() && id < 10_000; id++) {
      silent.write(request(id, 'bytes', 64 * 1024));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await waitFor(closed, 'the server to close the silent client');
    expect(s.errors.map((e) => e.code)).toContain('MSG_SEND_TIMEOUT');
    expect(await good.call('sum', 2, 2)).toBe(4);
    await good.close();
    await waitFor(() => s.server.stats().connections === 0, 'both to be gone');
    expect(settled(s.server.stats())).toEqual(zero);
  });
});

describe('an MprpcServer whose answer cannot be encoded', () => {
  it('answers the caller with RPC_ANSWER_FAILED and keeps the connection', async () => {
    await using s = await serve();
    await using client = await new MprpcClient({ host: '127.0.0.1', port: s.port }).connect();
    const failure = await client.call('cyclic').catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'RemoteError', code: 'RPC_REMOTE', data: { code: 'RPC_ANSWER_FAILED' } });
    expect((failure as Error).message).toMatch(/^cannot send the result of cyclic: /);
    expect(await client.call('sum', 1, 1)).toBe(2);
    expect(s.server.stats().errors).toEqual({ RPC_ANSWER_FAILED: 1 });
  });
});

describe('MprpcServer listeners that throw', () => {
  it('are reported as MPRPC_LISTENER_FAILED, and neither end the process nor skip the bookkeeping', async () => {
    await using s = await serve();
    for (const event of ['connect', 'call', 'disconnect', 'error'] as const) {
      s.server.on(event, () => {
        throw new Error(`${event} listener broke`);
      });
    }
    const client = await new MprpcClient({ host: '127.0.0.1', port: s.port }).connect();
    client.on('connect', () => undefined);
    expect(await client.call('sum', 1, 2)).toBe(3);
    expect(s.server.stats()).toMatchObject({ connections: 1, callsServed: 1 });
    await client.close();
    await waitFor(() => s.server.peers.size === 0, 'the server to see the client go');
    expect(s.errors.map((e) => [e.name, e.code, e.message])).toEqual([
      ['UsageError', 'MPRPC_LISTENER_FAILED', "a 'connect' listener threw: connect listener broke"],
      ['UsageError', 'MPRPC_LISTENER_FAILED', "a 'call' listener threw: call listener broke"],
      ['UsageError', 'MPRPC_LISTENER_FAILED', "a 'disconnect' listener threw: disconnect listener broke"],
    ]);
    // The throwing error listener ran for each of those three, and is counted.
    expect(s.server.stats().errors).toEqual({ MPRPC_LISTENER_FAILED: 6 });
    expect(settled(s.server.stats())).toEqual(zero);
  });

  it('on the client too', async () => {
    await using s = await serve();
    await using client = new MprpcClient({ host: '127.0.0.1', port: s.port });
    const errors: RpcError[] = [];
    client.on('error', (error) => errors.push(error as RpcError));
    client.on('connect', () => {
      throw new Error('connect listener broke');
    });
    await client.connect();
    expect(await client.call('sum', 1, 2)).toBe(3);
    expect(errors.map((e) => e.code)).toEqual(['MPRPC_LISTENER_FAILED']);
  });
});

describe('MprpcServer connection limits (handlerOptions)', () => {
  it('refuses connections past maxConnectionsPerAddress and maxConnections, and counts them', async () => {
    for (const limits of [{ maxConnectionsPerAddress: 1 }, { maxConnections: 1 }]) {
      await using s = await serve({ handlerOptions: limits });
      await using first = await new MprpcClient({ host: '127.0.0.1', port: s.port }).connect();
      await using _second = await silentClient(s.port);
      await waitFor(() => s.errors.length > 0, 'the second connection to be refused');
      expect(s.errors.map((e) => e.code)).toEqual(['MSG_TOO_MANY_CONNECTIONS']);
      expect(s.server.stats()).toMatchObject({ connections: 1, refused: 1, errors: { MSG_TOO_MANY_CONNECTIONS: 1 } });
      expect(await first.call('sum', 1, 1)).toBe(2);
    }
  });

  it('refuses a value declared over the default maxMessageSize of 16 MiB at its header', async () => {
    await using s = await serve();
    await using raw = await silentClient(s.port);
    // [0, 1, "bytes", [bin of 16 MiB + 1 ...
    raw.write(Uint8Array.of(0x94, 0x00, 0x01, 0xa5, ...Buffer.from('bytes'), 0x91, 0xc6, 0x01, 0x00, 0x00, 0x01));
    await waitFor(() => s.errors.length > 0, 'the error');
    expect(s.errors[0]).toMatchObject({ code: 'MPRPC_MESSAGE_TOO_LARGE' });
  });

  it('refuses limits out of range with MPRPC_INVALID_OPTION', () => {
    const bad = [
      { handlerOptions: { maxQueueBytes: 0 } },
      { handlerOptions: { maxConnections: 1.5 } },
      { handlerOptions: { sendTimeoutMs: -1 } },
      { handlerOptions: { idleTimeoutMs: -1 } },
      { shutdownTimeoutMs: -1 },
    ];
    for (const options of bad)
      expect(() => new MprpcServer({ port: 0, ...options })).toThrow(
        expect.objectContaining({ name: 'UsageError', code: 'MPRPC_INVALID_OPTION' }),
      );
    expect(
      () => new MprpcServer({ port: 0, handlerOptions: { idleTimeoutMs: 0 }, shutdownTimeoutMs: 0 }),
    ).not.toThrow();
  });
});

/** A server and a client on one virtual-time loop. */
function virtually(
  options: Partial<MprpcServerOptions>,
  work: (s: { server: MprpcServer; client: MprpcClient; loop: RxLoop; held: MprpcResult[] }) => Promise<void>,
): Promise<void> {
  const scheduler = new VirtualTimeScheduler();
  const loop = new RxLoop({ scheduler, transport: new MemoryTransport(scheduler) });
  return runInVirtualTime(scheduler, async () => {
    const held: MprpcResult[] = [];
    await using server = await new MprpcServer({ host: 'memory', port: 0, loop, ...options })
      .regCb({
        sum: (res, a, b) => res?.result(Number(a) + Number(b)),
        after: (res, ms) => void loop.timer(Number(ms), () => res?.result(`after ${ms}`)),
        hold: (res) => void (res && held.push(res)),
      })
      .start();
    await using client = await new MprpcClient({ host: 'memory', port: server.port, loop }).connect();
    await work({ server, client, loop, held });
  });
}

const sleep = (loop: RxLoop, ms: number): Promise<void> => new Promise((resolve) => loop.timer(ms, resolve));

describe('MprpcServer.close()', () => {
  it('lets calls in flight finish within shutdownTimeoutMs, answers the rest with RPC_SHUTDOWN, and resolves', () =>
    virtually({ shutdownTimeoutMs: 5000 }, async ({ server, client, loop }) => {
      const quick = client.call('after', 1000);
      const slow = client.call('after', 60_000).catch((error: unknown) => error);
      await sleep(loop, 10);
      expect(server.stats().callsInFlight).toBe(2);
      const started = loop.now();
      const closing = server.close();
      const refused = await client.call('sum', 1, 2).catch((error: unknown) => error);
      expect(refused).toMatchObject({
        code: 'RPC_REMOTE',
        data: { code: 'RPC_SHUTDOWN', message: 'the server is shutting down; sum was not called' },
      });
      expect(await quick).toBe('after 1000');
      expect(await slow).toMatchObject({
        code: 'RPC_REMOTE',
        data: { code: 'RPC_SHUTDOWN', message: 'the server closed after waiting 5000 ms; after did not finish' },
      });
      await closing;
      expect(loop.now() - started).toBe(5000);
      expect(server.close()).toBe(closing); // the same close
      expect(server.stats()).toMatchObject({ ...zero, perConnection: [], errors: { RPC_SHUTDOWN: 2 } });
      await sleep(loop, 60_000); // the slow handler answers now: dropped, nothing thrown
    }));

  it('resolves as soon as the last call in flight is answered', () =>
    virtually({ shutdownTimeoutMs: 5000 }, async ({ server, client, loop, held }) => {
      const kept = client.call('hold');
      await sleep(loop, 10);
      const started = loop.now();
      const closing = server.close();
      loop.timer(100, () => held[0]?.result('kept'));
      await closing;
      expect(loop.now() - started).toBe(100);
      expect(await kept).toBe('kept');
    }));

  it('aborts the signal of a call it gives up on, and drops its late answer', () =>
    virtually({ shutdownTimeoutMs: 5000 }, async ({ server, client, loop, held }) => {
      const given = client.call('hold').catch((error: unknown) => error);
      await sleep(loop, 10);
      const [res] = held as [MprpcResult];
      const closing = server.close();
      await sleep(loop, 4000);
      expect(res.signal.aborted).toBe(false);
      await closing;
      expect(res.signal.reason).toMatchObject({ name: 'TransportError', code: 'RPC_SHUTDOWN' });
      expect(await given).toMatchObject({ data: { code: 'RPC_SHUTDOWN' } });
      expect(() => res.result('too late')).not.toThrow(); // dropped
      expect(() => res.result('again')).toThrow(expect.objectContaining({ code: 'MPRPC_ALREADY_ANSWERED' }));
    }));

  it('with nothing in flight, closes at once', () =>
    virtually({}, async ({ server, client, loop }) => {
      expect(await client.call('sum', 1, 1)).toBe(2);
      const started = loop.now();
      await server.close();
      expect(loop.now() - started).toBeLessThan(100);
      await expect(client.call('sum', 1, 1)).rejects.toMatchObject({ code: 'RPC_NOT_CONNECTED' });
    }));

  it('turns away clients that come while it waits', () =>
    virtually({ shutdownTimeoutMs: 1000 }, async ({ server, client, loop }) => {
      void client.call('hold').catch(() => undefined);
      await sleep(loop, 10);
      const closing = server.close();
      const late = await new MprpcClient({ host: 'memory', port: server.port, loop }).connect();
      await expect(late.call('sum', 1, 1)).rejects.toMatchObject({ code: 'RPC_DISCONNECTED' });
      expect(server.peers.size).toBe(1);
      await closing;
    }));
});

describe('MprpcServer timeouts (handlerOptions)', () => {
  it('closes a client silent for idleTimeoutMs (MSG_IDLE_TIMEOUT)', () =>
    virtually({ handlerOptions: { idleTimeoutMs: 1000 } }, async ({ server, client, loop }) => {
      const errors: RpcError[] = [];
      server.on('error', (error) => errors.push(error as RpcError));
      expect(await client.call('sum', 1, 1)).toBe(2);
      await sleep(loop, 2000);
      expect(client.connected).toBe(false);
      expect(errors.map((e) => e.code)).toEqual(['MSG_IDLE_TIMEOUT']);
    }));

  it('closes a client whose message takes longer than messageTimeoutMs (MSG_MESSAGE_TIMEOUT)', () =>
    virtually({ handlerOptions: { messageTimeoutMs: 1000 } }, async ({ server, loop }) => {
      const errors: RpcError[] = [];
      server.on('error', (error) => errors.push(error as RpcError));
      const channel = await loop.connect(server.address);
      channel.write(request(1, 'sum', 1, 2).subarray(0, 4)); // begun, never finished
      await sleep(loop, 2000);
      expect(channel.closed).toBe(true);
      expect(errors.map((e) => e.code)).toEqual(['MSG_MESSAGE_TIMEOUT']);
    }));
});

describe('MprpcServer.stats()', () => {
  it('counts calls and bytes per client, and returns to zero once every client has gone, however', async () => {
    await using s = await serve();
    await using client = await new MprpcClient({ host: '127.0.0.1', port: s.port }).connect();
    expect(await client.call('sum', 1, 2)).toBe(3);
    const held = client.call('hold').catch(() => undefined);
    // An abrupt one: two calls in flight, then reset.
    const raw = await silentClient(s.port);
    raw.write(Buffer.concat([request(1, 'hold'), request(2, 'hold')]));
    await waitFor(() => s.held.length === 3, 'the three calls to be held');
    const stats = s.server.stats();
    expect(stats).toMatchObject({ connections: 2, callsInFlight: 3, callsQueued: 0, callsServed: 1 });
    const [mine, theirs] = stats.perConnection;
    expect(mine).toMatchObject({ id: 1, remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/), callsInFlight: 1 });
    expect(mine?.bytesIn).toBeGreaterThan(0);
    expect(mine?.bytesOut).toBeGreaterThan(0);
    expect(mine?.lastActivityAt).toBeGreaterThanOrEqual(mine?.connectedAt ?? Infinity);
    expect(theirs).toMatchObject({ id: 2, callsInFlight: 2, callsServed: 0, queuedBytes: 0, partialBytes: 0 });
    raw.resetAndDestroy();
    await waitFor(() => s.server.stats().connections === 1, 'the reset client to be gone');
    expect(s.held.filter((res) => res.signal.aborted).map((res) => res.signal.reason.code)).toEqual([
      'RPC_DISCONNECTED',
      'RPC_DISCONNECTED',
    ]);
    await client.close();
    await held;
    await waitFor(() => s.server.stats().connections === 0, 'the client to be gone');
    expect(settled(s.server.stats())).toEqual(zero);
    expect(s.server.stats()).toMatchObject({ callsServed: 1, errors: { LOOP_CONNECTION_RESET: 1 } });
    for (const res of s.held) res.result('late'); // nobody waits: dropped
    const peers: ReadonlySet<MprpcPeer> = s.server.peers;
    expect(peers.size).toBe(0);
  });
});
