import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client, type RemoteObject } from '@rpc/client';
import { NatsLoop } from '@rpc/loop-nats';
import { freePortPair, waitFor } from '@rpc/testkit';
import { connect } from '@nats-io/transport-node';
import { type NatsServer, startNatsServer } from './nats-servers.js';

// Three @rpc/server processes on one subject over a cluster of two nats-server nodes, and clients spread over
// them. One server process and one NATS node are killed: the sessions on the dead server end with NATS_PEER_LOST,
// and every other session, those whose ends reconnected from the dead node to the live one included, keeps its
// objects. Needs the packages built (the servers run the dist).

interface Counter {
  pid(): number;
  hit(): number;
}

interface Session {
  readonly client: Client;
  readonly counter: RemoteObject<Counter>;
  readonly pid: number;
  hits: number;
  /** The error `disconnect` came with, once it came. */
  lost: Error | undefined | null;
}

const fixture = join(__dirname, 'fixtures', 'failover-server.mjs');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server child on the subject of `port`; resolves once it listens. */
async function startServer(servers: string[], port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [fixture, JSON.stringify({ servers, port })], {
    cwd: join(__dirname, '..'),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return gone;
  });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server not ready: ${errors}`)), 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (!chunk.toString().includes('READY')) return;
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${errors}`)));
  });
  return child;
}

/** Resolves once a subscriber on `b` is reached through `a`: the route between them is up. */
async function clusterFormed(a: NatsServer, b: NatsServer): Promise<void> {
  const [na, nb] = await Promise.all([connect({ servers: a.url }), connect({ servers: b.url })]);
  try {
    nb.subscribe('cluster.check', { callback: (_error, msg) => void msg.respond('yes') });
    await nb.flush();
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await na.request('cluster.check', 'ok?', { timeout: 200 });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } finally {
    await Promise.all([na.close(), nb.close()]);
  }
}

async function openSession(servers: string[], port: number): Promise<Session> {
  const loop = new NatsLoop({ servers, nats: { noRandomize: true, reconnectTimeWait: 200 }, peerTimeoutMs: 3000 });
  const client = new Client({ host: '127.0.0.1', port, loop, deadlineMs: 10_000 });
  cleanups.push(() => client.close());
  await client.connect();
  const counter = await client.remoteClass<Counter>('Counter').new();
  const session: Session = { client, counter, pid: await counter.pid(), hits: 0, lost: null };
  client.on('disconnect', (error) => (session.lost = error));
  session.hits = await counter.hit();
  return session;
}

/** The codes of `error` and of its causes. */
function codes(error: unknown): string[] {
  const found: string[] = [];
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string') found.push(e.code);
  }
  return found;
}

it('keeps the sessions of the live servers when a server process and a NATS node die', async () => {
  const a = await startNatsServer({ routes: [] });
  cleanups.push(() => a.kill());
  const b = await startNatsServer({ routes: [a.clusterPort as number] });
  cleanups.push(() => b.kill());
  await clusterFormed(a, b);
  const onA = [a.url, b.url];
  const onB = [b.url, a.url];
  const port = await freePortPair(); // any number: it names the subject rpc.<port>
  const servers = [await startServer(onA, port), await startServer(onB, port), await startServer(onA, port)];
  const pids = servers.map((server) => server.pid as number);

  // Sessions from clients on either node, until each server holds at least two of them.
  const sessions: Session[] = [];
  const on = (pid: number): Session[] => sessions.filter((session) => session.pid === pid);
  while (pids.some((pid) => on(pid).length < 2)) {
    if (sessions.length >= 40) throw new Error('the queue group never spread the sessions over every server');
    sessions.push(await openSession(sessions.length % 2 === 0 ? onA : onB, port));
  }

  // The third server (on node A) and node B die at once, as a crash would have them.
  const victim = servers[2] as ChildProcess;
  const victimGone = new Promise((resolve) => victim.once('exit', resolve));
  victim.kill('SIGKILL');
  await Promise.all([victimGone, b.kill()]);

  const dead = on(pids[2] as number);
  const live = sessions.filter((session) => session.pid !== pids[2]);
  // Every session on the dead server ends with the coded error, within the peer timeout and a reconnect.
  await waitFor(() => dead.every((session) => session.lost !== null), 'the dead sessions to end', 15_000);
  for (const session of dead) {
    expect(codes(session.lost)).toContain('NATS_PEER_LOST');
    await expect(session.counter.hit()).rejects.toMatchObject({ name: expect.any(String) });
  }
  // The others keep their objects, counting on from where they were.
  await Promise.all(
    live.map(async (session) => {
      for (let i = 1; i <= 3; i++) expect(await session.counter.hit()).toBe(session.hits + i);
      expect(await session.counter.pid()).toBe(session.pid);
    }),
  );
  expect(live.every((session) => session.lost === null)).toBe(true);
}, 60_000);
