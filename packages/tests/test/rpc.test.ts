import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pathToFileURL } from 'node:url';
import { Client, RemoteError, withCallOptions, type ClientOptions, type RemoteObject } from '@rpc/client';
import { jsonCodec } from '@rpc/codec-json';
import { cborCodec } from '@rpc/codec-cbor';
import { NodeLoop } from '@rpc/loop-node';
import { Server, type ClassSpec, type Logger, type ServerOptions } from '@rpc/server';
import { disposableSocket, waitFor } from '@rpc/testkit';
import { EventRpcTest, type EventRpcTest2, testClasses } from '../src/test-classes.js';
import { adapters } from '../src/adapters.js';
import { pair as serverClientPair, quiet, refusedCallsScenario, startServer } from './rpc-helpers.js';

type Test = RemoteObject<EventRpcTest>;

/** Calls of `hold` wait here until the test lets them go: the test, not a timer, orders their answers. */
const held = new Map<string, () => void>();

class Holding extends EventRpcTest {
  /** Answers `value` once the test calls `held.get(value)`. */
  async hold(value: string): Promise<string> {
    await new Promise<void>((resolve) => held.set(value, resolve));
    return value;
  }
}

/** The contract, with Event_RPC_Test's objects able to hold a call. */
const holdingClasses = {
  ...testClasses,
  Event_RPC_Test: { impl: Holding, methods: { ...testClasses.Event_RPC_Test?.methods, hold: 1 } },
} satisfies Record<string, ClassSpec>;

describe.each(adapters)('our client against our server on the $name loop', (adapter) => {
  const loop = adapter.loop();
  const pair = (serverOptions: Partial<ServerOptions> = {}, clientOptions: Partial<ClientOptions> = {}) =>
    serverClientPair({ loop, ...serverOptions }, { loop, ...clientOptions });

  it('negotiates MessagePack and the richer protocol between @rpc peers', async () => {
    await using p = await pair();
    const { client } = p;
    expect(client.format).toBe('MSGP');
    expect(client.pipelined).toBe(true);
    expect(client.serverVersion).toBe('1.10');
  });

  it('serves every method kind', async () => {
    await using p = await pair();
    const { client } = p;
    const T = client.remoteClass<EventRpcTest, [{ data: string }], 'singleton'>('Event_RPC_Test');
    const obj = await T.new({ data: 'wire' });
    expect(obj.oid).toMatch(/^Event_RPC_Test=OBJ\([0-9a-f]{32}\)$/);
    expect(await obj.get_data()).toBe('wire');
    expect(await obj.set_data('changed')).toBe('changed');
    expect(await obj.hello()).toBe('Hello, changed');
    expect(await obj.echo('你好世界', 7, null)).toEqual(['你好世界', 7, null]);
    expect(await obj.get_big_data_struct()).toEqual(new EventRpcTest().get_big_data_struct());

    const clone = (await obj.clone()) as unknown as Test;
    expect(clone.oid).not.toBe(obj.oid);
    expect(await clone.get_data()).toBe('changed');

    const two = (await obj.new_object2('second')) as unknown as RemoteObject<EventRpcTest2>;
    expect(two.className).toBe('Event_RPC_Test2');
    expect(await ((await obj.get_object2()) as unknown as RemoteObject<EventRpcTest2>).get_data()).toBe('second');
    expect(await (await two.get_object_copy()).get_data()).toBe('second');
    expect(await obj.get_object2()).toBe(two); // one proxy per object

    // Objects as parameters, in lists and in maps.
    const other = await client.remoteClass<EventRpcTest2>('Event_RPC_Test2').new('data', 'passed back');
    expect(await obj.set_object2(other)).toBe('passed back');
    const [list, map] = (await obj.multi(3)) as unknown as [Test[], Record<string, Test>];
    expect(await Promise.all(list.map((o) => o.get_data()))).toEqual(['multi 1', 'multi 2', 'multi 3']);
    expect(map['2']).toBe(list[1]);
    expect(await obj.get_undef_object()).toBeNull();

    const s1 = await T.singleton();
    const s2 = await T.singleton();
    expect(s1).toBe(s2);
    expect(await s1.get_data()).toBe('singleton');
  });

  it('raises server exceptions as RemoteError with the server text', async () => {
    await using p = await pair();
    const { client } = p;
    const obj = await client.remoteClass<EventRpcTest>('Event_RPC_Test').new({ data: 1 });
    const error = await obj.die_with('boom').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({ code: 'RPC_REMOTE', message: 'boom\n' });
    expect(await obj.get_data()).toBe(1); // still serving
  });

  it('runs concurrent async calls out of order, each seeing its own activeConnection', async () => {
    await using p = await pair({ classes: holdingClasses });
    const { server, client } = p;
    await using second = new Client({ host: '127.0.0.1', port: server.port, loop });
    await second.connect();
    const a = await client.remoteClass<Holding>('Event_RPC_Test').new({ data: 'a' });
    const b = await second.remoteClass<Holding>('Event_RPC_Test').new({ data: 'b' });
    const cids = await Promise.all([a.get_cid(), b.get_cid()]);
    expect(new Set(cids).size).toBe(2);
    held.clear();
    const order: string[] = [];
    const calls = [a.hold('slow'), b.hold('middle'), a.hold('fast')].map((call) =>
      call.then((v) => {
        order.push(String(v));
        return v;
      }),
    );
    await waitFor(() => held.size === 3, 'the three calls to be held');
    // While all three wait, each call's activeConnection must stay its own.
    const during = await Promise.all([a.get_cid(), b.get_cid(), a.get_object_cnt(), b.get_object_cnt()]);
    expect(during).toEqual([cids[0], cids[1], 1, 1]);
    // Let them go last first, each once the one before has been answered.
    for (const value of ['fast', 'middle', 'slow']) {
      held.get(value)?.();
      await waitFor(() => order.includes(value), `the ${value} answer`);
    }
    expect(await Promise.all(calls)).toEqual(['slow', 'middle', 'fast']);
    expect(order).toEqual(['fast', 'middle', 'slow']);
    expect(server.clientsConnected).toBe(2);
  });

  it('cancels a call through AbortSignal and enforces per-call deadlines', async () => {
    await using p = await pair();
    const { server, client } = p;
    const obj = await client.remoteClass<EventRpcTest>('Event_RPC_Test').new({ data: 'x' });
    const controller = new AbortController();
    // The waits are long, so that neither answers before the abort or the deadline however slow the machine.
    const pending = withCallOptions(obj, { signal: controller.signal }).wait(60_000, 'never');
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: 'CancelError', code: 'RPC_CANCELLED' });
    await expect(withCallOptions(obj, { deadlineMs: 30 }).wait(60_000, 'late')).rejects.toMatchObject({
      code: 'RPC_DEADLINE',
    });
    expect(await withCallOptions(obj, { deadlineMs: 60_000 }).wait(1, 'in time')).toBe('in time');
    expect(await obj.get_data()).toBe('x');
    expect(server.clientsConnected).toBe(1);
  });

  it('frees objects on release, on `using`, and on disconnect', async () => {
    await using p = await pair();
    const { server, client } = p;
    const T = client.remoteClass<EventRpcTest>('Event_RPC_Test');
    const obj = await T.new({ data: 1 });
    const connection = [...server.connections][0];
    await T.new({ data: 2 }).then((o) => o.release());
    expect(connection?.objects.size).toBe(1);
    {
      await using scoped = await T.new({ data: 3 });
      expect(await scoped.get_data()).toBe(3);
      expect(connection?.objects.size).toBe(2);
    }
    expect(connection?.objects.size).toBe(1);
    await obj.release();
    await expect(obj.get_data()).rejects.toMatchObject({ code: 'RPC_RELEASED' });
    await T.new({ data: 4 });
    await client.close();
    await waitFor(() => server.clientsConnected === 0, 'the server to see the client leave');
    expect(connection?.objects.size).toBe(0);
    await server.close();
  });

  it('counts hand-overs as Event::RPC does: a proxy received twice holds two, releasing it frees both; singletons stay', async () => {
    await using p = await pair();
    const { server, client } = p;
    const T = client.remoteClass<EventRpcTest, [{ data: string }], 'singleton'>('Event_RPC_Test');
    const obj = await T.new({ data: 'main' });
    const connection = [...server.connections][0];
    const made = (await obj.new_object2('shared')) as unknown as RemoteObject<EventRpcTest2>;
    expect(await obj.get_object2()).toBe(made);
    expect(connection?.objects.refs(made.oid)).toBe(2);
    const [list] = (await obj.multi(2)) as unknown as [Test[]];
    const first = list[0] as Test;
    expect(connection?.objects.refs(first.oid)).toBe(2); // in the list and in the map
    await made.release();
    expect(connection?.objects.refs(made.oid)).toBe(0);
    await first.release();
    expect(connection?.objects.get(first.oid)).toBeUndefined();
    const single = await T.singleton();
    await T.singleton();
    await single.release();
    expect(connection?.objects.refs(single.oid)).toBe(0);
    expect(connection?.objects.get(single.oid)).toBeDefined(); // pinned until the client leaves
    expect(await obj.get_object_cnt()).toBe(2); // main and the second multi object; the singleton is kept at zero
  });

  it('rejects a call refused on this side alone: the next 100 calls are all answered', async () => {
    await using p = await pair();
    const { server, client } = p;
    server.maxPacketSize = 100_000; // both may change while connected, as Event::RPC's set_max_packet_size
    client.maxPacketSize = 100_000;
    expect([server.maxPacketSize, client.maxPacketSize]).toEqual([100_000, 100_000]);
    expect(() => (client.maxPacketSize = 2 ** 32)).toThrow(expect.objectContaining({ code: 'MSG_INVALID_OPTION' }));
    const obj = await client.remoteClass<EventRpcTest>('Event_RPC_Test').new({ data: 'kept' });
    await refusedCallsScenario(obj, 100_000, (signal) => withCallOptions(obj, { signal }));
    expect(await obj.get_data()).toBe('kept');
  });

  it('frees the object of a proxy that was garbage collected', async () => {
    await using p = await pair();
    const { server, client } = p;
    const T = client.remoteClass<EventRpcTest>('Event_RPC_Test');
    const kept = await T.new({ data: 'kept' });
    const connection = [...server.connections][0];
    await (async () => {
      const dropped = await T.new({ data: 'dropped' });
      expect(await dropped.get_data()).toBe('dropped');
    })();
    expect(connection?.objects.size).toBe(2);
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    await waitFor(() => {
      gc();
      return connection?.objects.size === 1;
    }, 'client_destroy of the collected proxy');
    expect(await kept.get_data()).toBe('kept');
  });

  it('honours the client options: classes, classMap, connectTimeoutMs, deadlineMs, errorCallback; emits connect and disconnect', async () => {
    await using p = await pair();
    const { server } = p;
    const errors: Error[] = [];
    await using client = new Client({
      host: '127.0.0.1',
      port: server.port,
      loop,
      classes: ['Event_RPC_Test'],
      classMap: { Event_RPC_Test: 'Test' },
      connectTimeoutMs: 5000,
      deadlineMs: 5000, // long enough for every call but the one that waits a minute, on a busy machine
      errorCallback: (_client, error) => errors.push(error),
    });
    const events: string[] = [];
    client.on('connect', () => events.push('connect'));
    client.on('disconnect', (error) => events.push(`disconnect ${error?.message ?? 'cleanly'}`));
    await client.connect();
    expect(events).toEqual(['connect']);
    expect(() => client.remoteClass('Event_RPC_Test2')).toThrow(expect.objectContaining({ code: 'RPC_UNKNOWN_CLASS' }));
    const obj = await client.remoteClass<EventRpcTest>('Test').new({ data: 'mapped' });
    expect(await obj.get_data()).toBe('mapped');
    expect(await obj.die_with('reported')).toBeUndefined();
    expect(errors).toEqual([expect.objectContaining({ name: 'RemoteError', message: 'reported\n' })]);
    await expect(obj.wait(60_000, 'late')).resolves.toBeUndefined(); // past the 5 s deadline: reported, not thrown
    expect(errors[1]).toMatchObject({ name: 'CancelError', code: 'RPC_DEADLINE' });
    await client.close();
    expect(events).toEqual(['connect', 'disconnect cleanly']);
  });

  it('rejects calls in flight when the server goes away', async () => {
    await using p = await pair({ shutdownTimeoutMs: 200 });
    const { server, client } = p;
    const obj = await client.remoteClass<EventRpcTest>('Event_RPC_Test').new({ data: 1 });
    // Sent before the client hears the server's goaway, so served; still running when shutdownTimeoutMs has passed,
    // so answered with a code rather than lost with the connection.
    const outcome = expect(obj.wait(5000, 'never')).rejects.toMatchObject({
      name: 'TransportError',
      code: 'RPC_SHUTDOWN',
    });
    await server.close();
    await outcome;
    await expect(obj.get_data()).rejects.toMatchObject({ code: 'RPC_OBJECT_LOST' });
    await expect(client.request({ cmd: 'classes_list' })).rejects.toMatchObject({ code: 'RPC_NOT_CONNECTED' });
  });

  it.each([
    ['JSON', jsonCodec()],
    ['CBOR', cborCodec()],
  ])('speaks %s when that is all it offers, still pipelined', async (name, codec) => {
    await using p = await pair({ messageFormats: [codec] });
    const { client } = p;
    expect(client.format).toBe(name);
    expect(client.pipelined).toBe(true);
    const obj = await client.remoteClass<EventRpcTest>('Event_RPC_Test').new({ data: 'Grüße 你好' });
    expect(await obj.get_data()).toBe('Grüße 你好');
  });

  it('turns an over-size answer into an error for the caller and a log line, keeping the connection', async () => {
    const lines: string[] = [];
    await using p = await pair(
      { maxPacketSize: 10_000, logger: { log: (_l, m) => lines.push(m) } },
      { maxPacketSize: 10_000 },
    );
    const { client } = p;
    const obj = await client.remoteClass<EventRpcTest>('Event_RPC_Test').new({ data: 'still here' });
    await expect(obj.big_string(20_000)).rejects.toMatchObject({
      name: 'RemoteError',
      message: 'Response packed exceeds limit of 10000 bytes',
    });
    expect(lines).toContain('ERROR: response packet exceeds limit of 10000 bytes');
    expect(await obj.get_data()).toBe('still here');
    await expect(obj.set_data('y'.repeat(20_000))).rejects.toMatchObject({ code: 'MSG_MESSAGE_TOO_LARGE' });
    expect(await obj.get_data()).toBe('still here');
  });
});

describe('server options', () => {
  it('refuses changes after start, reports its port, logs and calls the connection hook', async () => {
    const lines: Array<[number, string]> = [];
    const logger: Logger = { log: (level, message) => lines.push([level, message]) };
    const hooks: string[] = [];
    await using server = new Server({
      host: '127.0.0.1',
      port: 0,
      name: 'Test server',
      logger,
      classes: testClasses,
      loop: new NodeLoop(),
      connectionHook: (connection, event) => hooks.push(`${event}:${connection.cid}`),
    });
    server.name = 'Renamed server';
    await server.setupListeners();
    expect(server.port).toBeGreaterThan(0);
    expect(() => (server.port = 1)).toThrow(expect.objectContaining({ name: 'UsageError', code: 'RPC_STARTED' }));
    expect(
      lines.some(
        ([level, line]) => level === 1 && line.startsWith(`Renamed server: listening on 127.0.0.1:${server.port}`),
      ),
    ).toBe(true);
    server.log('a notice');
    server.log(3, 'a detail');
    expect(lines.slice(-2)).toEqual([
      [1, 'a notice'],
      [3, 'a detail'],
    ]);
    await using client = new Client({ host: '127.0.0.1', port: server.port });
    await client.connect();
    await client.close();
    await waitFor(() => hooks.length === 2, 'both hooks');
    expect(hooks).toEqual(['connect:1', 'disconnect:1']);
  });

  it('streams log lines to clients of the log listener on port + 1', async () => {
    const lines: string[] = [];
    await using server = await startServer(
      (port) =>
        new Server({
          host: '127.0.0.1',
          port,
          classes: testClasses,
          startLogListener: true,
          logger: { log: (_l, m) => lines.push(m), minLevel: 2 },
        }),
    );
    expect(lines).toContain(`Started log listener on 127.0.0.1:${server.port + 1}`);
    const net = await import('node:net');
    await using watcher = disposableSocket(net.connect(server.port + 1, '127.0.0.1'));
    let seen = '';
    watcher.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    await waitFor(() => server.logClientsConnected === 1, 'the log client');
    await using client = new Client({ host: '127.0.0.1', port: server.port });
    await client.connect();
    await client.remoteClass<EventRpcTest>('Event_RPC_Test').new({ data: 'logged' });
    await waitFor(() => /\[2\] cid=\d+: new connection from 127\.0\.0\.1:\d+\n/.test(seen), 'the connection line');
    server.log(3, 'above the logger level: not streamed');
    server.log('a notice');
    await waitFor(() => seen.includes('[1] a notice\n'), 'the notice');
    expect(seen).not.toContain('not streamed');
    watcher.destroy();
    await waitFor(() => server.logClientsConnected === 0, 'the log client to leave');
  });

  it('starts as Node and Perl users expect: start() resolves once listening, done once stopped', async () => {
    await using server = new Server({ host: '127.0.0.1', port: 0, logger: quiet, classes: testClasses });
    let stopped = false;
    void server.done.then(() => (stopped = true));
    await server.setupListeners(); // Perl's way: listeners first, then start()
    await server.start();
    expect(server.port).toBeGreaterThan(0);
    await using client = new Client({ host: '127.0.0.1', port: server.port });
    await client.connect(); // listening, nothing more to wait for
    expect(() => (server.name = 'too late')).toThrow(expect.objectContaining({ code: 'RPC_STARTED' }));
    expect(stopped).toBe(false);
    await client.close();
    await server.close();
    await server.done;
    expect(stopped).toBe(true);
    await expect(server.start()).rejects.toMatchObject({ name: 'UsageError', code: 'RPC_CLOSED' });
  });

  it('reports a missing module class when it starts, and takes a module as a URL', async () => {
    await using missing = new Server({
      host: '127.0.0.1',
      port: 0,
      classes: {
        Gone: {
          impl: { module: new URL('./no-such-module.js', pathToFileURL(__filename)) },
          methods: { new: '_constructor' },
        },
      },
    });
    await expect(missing.start()).rejects.toMatchObject({
      code: 'RPC_INVALID_OPTION',
      message: expect.stringContaining('no-such-module.js does not exist'),
    });
  });
});
