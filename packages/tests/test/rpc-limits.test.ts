// What one client of an Event::RPC server can make it spend, tried as an attacker and as a careless client would:
// each limit reached once over real sockets, the server surviving each, other clients still served.
import * as net from 'node:net';
import type { Logger } from '@rpc/core';
import { crypt } from '@rpc/client';
import { encodeFrame } from '@rpc/msg';
import { Server, type ServerOptions } from '@rpc/server';
import { disposableSocket, testPkiFiles, waitFor } from '@rpc/testkit';
import { type RawSession, rawSession } from './rpc-helpers.js';

/** What a hostile or careless client gets to run. */
class Work {
  /** Answers `value` after `ms`, or at once when the call is given up on. */
  async slow(ms: number, value: unknown): Promise<unknown> {
    const signal = Server.instance?.activeSignal;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Number(ms));
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return value;
  }
  /** A large answer, a moment later. */
  async later(n: number): Promise<string> {
    await new Promise((resolve) => setImmediate(resolve));
    return 'x'.repeat(Number(n));
  }
  /** An answer no format can carry, a moment later. */
  async cyclic(): Promise<unknown> {
    await new Promise((resolve) => setImmediate(resolve));
    const list: unknown[] = [];
    list.push(list);
    return list;
  }
}

const users = { fred: crypt('fred', 's3cret') };
const classes = { Work: { impl: Work, methods: { new: '_constructor', slow: 1, later: 1, cyclic: 1 } } } as const;

/** A logger keeping every line. */
function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (_level, message) => void lines.push(message) };
}

async function start(options: Partial<ServerOptions> = {}) {
  const logger = recorder();
  const server = await new Server({ host: '127.0.0.1', port: 0, classes, logger, ...options }).start();
  return { server, logger, [Symbol.asyncDispose]: () => server.close() };
}

/** A raw session holding one Work object. */
async function withWork(port: number): Promise<RawSession & { oid: string }> {
  const session = await rawSession(port);
  const { oid } = (await session.ask({ cmd: 'new', method: 'Work::new', params: [] })) as { oid: string };
  return Object.assign(session, { oid });
}

/** A client that still gets served: the proof that one connection's end was only that. */
async function stillServes(port: number): Promise<void> {
  await using other = await withWork(port);
  expect(await other.ask({ cmd: 'exec', oid: other.oid, method: 'slow', params: [0, 'fine'] })).toMatchObject({
    ok: 1,
    rc: ['fine'],
  });
}

describe('one connection failing ends only that connection', () => {
  it('closes a client that does not read when an async answer finds its queue full', async () => {
    await using s = await start({ maxQueueBytes: 1024 * 1024 });
    const reader = await withWork(s.server.port);
    reader.conn.onMessage = () => undefined; // takes over reading...
    reader.conn.onMessage = undefined; // ...and leaves the answers unread from now on
    const errors: Error[] = [];
    s.server.on('error', (error) => errors.push(error));
    // 40 answers of 256 KiB, asked for at once with ids: far past the 1 MiB queue, and the client reads none.
    for (let id = 1; id <= 40; id++)
      reader.send({ cmd: 'exec', oid: reader.oid, method: 'later', params: [256 * 1024], id });
    await waitFor(() => s.server.connections.size === 0, 'the non-reader to be closed');
    expect(errors).toContainEqual(expect.objectContaining({ code: 'RPC_ANSWER_FAILED' }));
    expect(s.logger.lines.some((line) => line.includes('cannot queue an answer'))).toBe(true);
    await stillServes(s.server.port);
    await reader.conn.close();
  });

  it('answers an async result no format can carry with an error, and the connection goes on', async () => {
    await using s = await start();
    await using session = await withWork(s.server.port);
    const answer = await session.ask({ cmd: 'exec', oid: session.oid, method: 'cyclic', params: [] });
    expect(answer).toMatchObject({ ok: 0, msg: expect.stringContaining('cannot send the answer') });
    expect(await session.ask({ cmd: 'exec', oid: session.oid, method: 'slow', params: [0, 1] })).toMatchObject({
      rc: [1],
    });
  });

  it('logs a connectionHook, a logger or an event listener that throws, and goes on', async () => {
    let throwing = true;
    const logger = recorder();
    await using server = await new Server({
      host: '127.0.0.1',
      port: 0,
      classes,
      logger: {
        log: (level, message) => {
          if (message.includes('RPC command')) throw new Error('logger bug');
          logger.log(level, message);
        },
        minLevel: 4,
      },
      connectionHook: () => {
        if (throwing) throw new Error('hook bug');
      },
    }).start();
    server.on('call', () => {
      throw new Error('listener bug');
    });
    await stillServes(server.port);
    throwing = false;
    expect(logger.lines).toEqual(
      expect.arrayContaining([
        expect.stringContaining('connectionHook threw on connect: Error: hook bug'),
        expect.stringContaining('connectionHook threw on disconnect: Error: hook bug'),
        expect.stringContaining("a 'call' listener threw: Error: listener bug"),
      ]),
    );
  });
});

describe('memory, before login too', () => {
  it('refuses a 100 MB frame before negotiation at its header, on a server that requires login', async () => {
    await using s = await start({ authRequired: true, authPasswdHref: users });
    const before = process.memoryUsage().rss;
    await using socket = disposableSocket(net.connect(s.server.port, '127.0.0.1'));
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.write(Buffer.from([0x06, 0x40, 0, 0])); // 100 MiB declared
    socket.write(Buffer.alloc(64 * 1024, 0x80)); // the first of its bytes: empty MessagePack maps
    await closed;
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
    await waitFor(() => s.server.connections.size === 0, 'the connection to be gone');
  });

  it('takes messages up to 64 KiB before login, and up to maxPacketSize after', async () => {
    await using s = await start({ maxPacketSize: 1024 * 1024 });
    await using session = await rawSession(s.server.port);
    const { oid } = (await session.ask({ cmd: 'new', method: 'Work::new', params: [] })) as { oid: string };
    const big = 'y'.repeat(512 * 1024);
    expect(await session.ask({ cmd: 'exec', oid, method: 'slow', params: [0, big] })).toMatchObject({ rc: [big] });
    // A server without login is open once negotiated; before that, a large message closes the connection.
    await using early = disposableSocket(net.connect(s.server.port, '127.0.0.1'));
    const closed = new Promise((resolve) => early.on('close', resolve));
    early.write(encodeFrame(new Uint8Array(100 * 1024)));
    await closed;
  });

  it('answers calls past maxCallsInFlight with an error at once', async () => {
    await using s = await start({ maxCallsInFlight: 3 });
    await using session = await withWork(s.server.port);
    for (let id = 1; id <= 4; id++)
      session.send({ cmd: 'exec', oid: session.oid, method: 'slow', params: [200, id], id });
    expect(await session.next()).toEqual({
      ok: 0,
      msg: 'too many calls in flight (the limit is 3)',
      code: 'RPC_LIMIT',
      id: 4,
    });
    const rest = await Promise.all([session.next(), session.next(), session.next()]);
    expect(rest.map((answer) => answer.id).sort()).toEqual([1, 2, 3]);
    expect(s.server.stats().callsInFlight).toBe(0);
  });

  it('closes a Perl-style client that queues more than maxQueuedRequests', async () => {
    await using s = await start({ maxQueuedRequests: 3 });
    await using session = await withWork(s.server.port);
    const errors: Error[] = [];
    s.server.on('error', (error) => errors.push(error));
    for (let i = 0; i < 10; i++) session.send({ cmd: 'exec', oid: session.oid, method: 'slow', params: [100, i] });
    await session.conn.done;
    expect(errors).toEqual([expect.objectContaining({ code: 'RPC_LIMIT' })]);
    expect(s.server.stats()).toMatchObject({ connections: 0, errors: { RPC_LIMIT: 1 } });
  });

  it('answers a new object past maxObjects with an error, and releases give room again', async () => {
    await using s = await start({ maxObjects: 2 });
    await using session = await rawSession(s.server.port);
    const make = () => session.ask({ cmd: 'new', method: 'Work::new', params: [] });
    const first = (await make()) as { oid: string };
    await make();
    expect(await make()).toEqual({ ok: 0, msg: 'the connection holds 2 objects; the limit is 2', code: 'RPC_LIMIT' });
    expect(await session.ask({ cmd: 'client_destroy', oid: first.oid })).toEqual({ ok: 1 });
    expect(await make()).toMatchObject({ ok: 1 });
    expect(s.server.stats().objects).toEqual({ Work: 2 });
  });

  it('counts a request that is not a map as RPC_BAD_REQUEST, and answers it with an error', async () => {
    await using s = await start();
    await using session = await withWork(s.server.port);
    await session.conn.sendNow(Uint8Array.of(0x93, 1, 2, 3)); // [1, 2, 3] in MessagePack
    expect(await session.next()).toEqual({
      ok: 0,
      msg: 'Unexpected error on incoming RPC call: a request must be a map',
    });
    expect(s.server.stats().errors).toEqual({ RPC_BAD_REQUEST: 1 });
  });

  it('answers a hand-out past maxReferences with an error', async () => {
    await using s = await start({ maxReferences: 2 });
    await using session = await rawSession(s.server.port);
    const make = () => session.ask({ cmd: 'new', method: 'Work::new', params: [] });
    await make();
    await make();
    expect(await make()).toEqual({
      ok: 0,
      msg: 'the connection holds 2 references; the limit is 2',
      code: 'RPC_LIMIT',
    });
    expect(s.server.stats()).toMatchObject({ references: 2, objects: { Work: 2 } });
  });

  it('answers the release of an id the connection does not hold with an error', async () => {
    await using s = await start();
    await using session = await withWork(s.server.port);
    expect(await session.ask({ cmd: 'client_destroy', oid: 'Work=OBJ(0000)' })).toEqual({
      ok: 0,
      msg: 'Illegal access to unknown object with oid=Work=OBJ(0000)',
    });
    expect(await session.ask({ cmd: 'client_destroy', oid: session.oid })).toEqual({ ok: 1 });
    expect((await session.ask({ cmd: 'client_destroy', oid: session.oid })).ok).toBe(0);
  });
});

describe('abuse', () => {
  it('closes a connection after maxProtocolErrors malformed requests, logging the first and the end only', async () => {
    await using s = await start({ maxProtocolErrors: 2 });
    await using session = await withWork(s.server.port);
    const errors: Error[] = [];
    s.server.on('error', (error) => errors.push(error));
    for (let i = 0; i < 2; i++) {
      await session.conn.sendNow(new Uint8Array([0xc1])); // never valid MessagePack
      expect((await session.next()).msg).toMatch(/^Unexpected error on incoming RPC call/);
    }
    await session.conn.sendNow(new Uint8Array([0xc1]));
    await session.conn.done;
    expect(errors).toEqual([expect.objectContaining({ code: 'RPC_PROTOCOL_ERRORS' })]);
    expect(s.server.stats().errors).toEqual({ CODEC_MALFORMED: 3, RPC_PROTOCOL_ERRORS: 1 });
    const logged = s.logger.lines.filter((line) => /^cid=1: (Unexpected error|more than)/.test(line));
    expect(logged).toEqual([
      expect.stringMatching(/^cid=1: Unexpected error on incoming RPC call/),
      expect.stringMatching(/^cid=1: more than 2 malformed requests; last: Unexpected error/),
    ]);
  });

  it('closes a connection that never negotiates or never logs in within loginTimeoutMs', async () => {
    await using s = await start({ authRequired: true, authPasswdHref: users, loginTimeoutMs: 300 });
    const errors: Error[] = [];
    s.server.on('error', (error) => errors.push(error));
    await using silent = disposableSocket(net.connect(s.server.port, '127.0.0.1'));
    await using negotiated = await rawSession(s.server.port);
    await Promise.all([new Promise((resolve) => silent.on('close', resolve)), negotiated.conn.done]);
    expect(errors.map((error) => (error as { code?: string }).code)).toEqual([
      'RPC_LOGIN_TIMEOUT',
      'RPC_LOGIN_TIMEOUT',
    ]);
  });
});

describe('time and shutdown', () => {
  it('drops a TLS client that never says hello after the handshake timeout', async () => {
    const pki = await testPkiFiles();
    await using s = await start({
      ssl: true,
      sslKeyFile: pki.keyFile,
      sslCertFile: pki.certFile,
      sslOpts: { handshakeTimeout: 300 }, // the default is 10 s
    });
    const errors: Error[] = [];
    s.server.on('error', (error) => errors.push(error));
    await using silent = disposableSocket(net.connect(s.server.port, '127.0.0.1'));
    await new Promise((resolve) => silent.on('close', resolve));
    await waitFor(() => errors.length === 1, 'the TLS error');
    expect(errors[0]).toMatchObject({ code: 'LOOP_TLS_FAILED' });
  });

  it('answers a call past callDeadlineMs with RPC_DEADLINE and aborts its signal', async () => {
    await using s = await start({ callDeadlineMs: 100 });
    await using session = await withWork(s.server.port);
    const answer = await session.ask({ cmd: 'exec', oid: session.oid, method: 'slow', params: [60_000, 'late'] });
    expect(answer).toEqual({ ok: 0, msg: "the call ran past the server's deadline of 100 ms", code: 'RPC_DEADLINE' });
    expect(await session.ask({ cmd: 'exec', oid: session.oid, method: 'slow', params: [0, 'next'] })).toMatchObject({
      rc: ['next'],
    });
  });

  it('close() answers a Perl client its call running and those queued behind it, in order, and starts none', async () => {
    const { server } = await start({ shutdownTimeoutMs: 300 });
    const session = await withWork(server.port);
    for (const value of ['first', 'second', 'third'])
      session.send({ cmd: 'exec', oid: session.oid, method: 'slow', params: [600_000, value] });
    await waitFor(() => server.stats().callsQueued === 2, 'two calls to queue behind the first');
    await server.close();
    const shutdown = { ok: 0, msg: 'the server closed with the call still running after 300 ms', code: 'RPC_SHUTDOWN' };
    expect([await session.next(), await session.next(), await session.next()]).toEqual([shutdown, shutdown, shutdown]);
    await session.conn.done;
  });

  it('close() lets calls finish within shutdownTimeoutMs and answers the rest with RPC_SHUTDOWN', async () => {
    const { server } = await start({ shutdownTimeoutMs: 500 });
    const session = await withWork(server.port);
    session.send({ cmd: 'exec', oid: session.oid, method: 'slow', params: [50, 'quick'], id: 1 });
    session.send({ cmd: 'exec', oid: session.oid, method: 'slow', params: [600_000, 'never'], id: 2 });
    await waitFor(() => server.stats().callsInFlight === 2, 'both calls to run');
    await server.close();
    const answers = [await session.next(), await session.next()];
    expect(answers).toEqual([
      { ok: 1, rc: ['quick'], id: 1 },
      { ok: 0, msg: 'the server closed with the call still running after 500 ms', code: 'RPC_SHUTDOWN', id: 2 },
    ]);
    await session.conn.done;
  });
});

describe('stats()', () => {
  it('counts connections, calls and objects, and returns to zero when every client has gone', async () => {
    await using s = await start();
    const sessions = await Promise.all([withWork(s.server.port), withWork(s.server.port)]);
    for (const [i, session] of sessions.entries())
      session.send({ cmd: 'exec', oid: session.oid, method: 'slow', params: [60_000, i], id: 1 });
    await waitFor(() => s.server.stats().callsInFlight === 2, 'both calls to run');
    const busy = s.server.stats();
    expect(busy).toMatchObject({ connections: 2, callsInFlight: 2, objects: { Work: 2 }, references: 2 });
    expect(busy.perConnection).toEqual([
      expect.objectContaining({ remote: expect.stringMatching(/^127\.0\.0\.1:/), callsInFlight: 1, callsServed: 1 }),
      expect.objectContaining({ callsInFlight: 1, callsServed: 1 }),
    ]);
    for (const session of sessions) session.conn.destroy(); // abrupt, with calls in flight
    await waitFor(() => s.server.stats().connections === 0, 'both to be gone');
    expect(s.server.stats()).toMatchObject({
      connections: 0,
      callsInFlight: 0,
      callsQueued: 0,
      bufferedBytes: 0,
      objects: {},
      references: 0,
      perConnection: [],
      callsServed: 2,
    });
  });
});
