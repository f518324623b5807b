import { join } from 'node:path';
import { Client, type RemoteObject, type RpcError } from '@rpc/client';
import { freePortPair, waitFor } from '@rpc/testkit';
import { startChildServer, type ChildServer } from '../src/child-server.js';
import { startHaproxy } from '../src/haproxy.js';

// A rolling restart behind HAProxy: 200 clients call continuously while each of three servers is drained and
// replaced in turn. Nothing a client sent is lost or answered twice; what fails, fails with a code, and only because
// its object lived on a server that has gone (RPC_OBJECT_LOST): the client makes it anew, as an application would.

const fixture = join(__dirname, '..', 'fixtures', 'balanced-server.mjs');
const CLIENTS = 200;

/** What fixtures/balanced-server.mjs exports. */
interface Balanced {
  pid(): number;
  hit(): number;
}

interface Slot {
  readonly port: number;
  readonly healthPort: number;
  server: ChildServer;
}

function startBackend(port: number, healthPort: number): Promise<ChildServer> {
  const options = { port, healthPort, proxyProtocol: { from: ['127.0.0.1'] }, shutdownTimeoutMs: 10_000 };
  return startChildServer(process.execPath, [fixture, JSON.stringify(options)], join(__dirname, '..'));
}

interface Outcome {
  answered: number;
  remade: number;
  readonly pids: Set<number>;
  /** Failures by code, RPC_OBJECT_LOST (a call never sent: its object's server had gone) aside. */
  readonly failures: Map<string, number>;
}

/** Three backends behind haproxy, and 200 clients calling their objects continuously until stop(). */
async function balancedLoad(): Promise<{
  readonly slots: Slot[];
  readonly outcome: Outcome;
  readonly haproxy: Awaited<ReturnType<typeof startHaproxy>>;
  stop(): Promise<void>;
}> {
  const slots: Slot[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePortPair();
    const healthPort = await freePortPair();
    slots.push({ port, healthPort, server: await startBackend(port, healthPort) });
  }
  const haproxy = await startHaproxy({ backends: slots, checkIntervalMs: 100 });
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, () =>
      new Client({
        host: '127.0.0.1',
        port: haproxy.port,
        keepAliveMs: 0,
        deadlineMs: 30_000, // a call that hangs ends with RPC_DEADLINE, which is asserted never to happen
        reconnect: { initialDelayMs: 50, maxDelayMs: 500, waitMs: 30_000 },
      }).connect(),
    ),
  );
  const outcome: Outcome = { answered: 0, remade: 0, pids: new Set(), failures: new Map() };
  let running = true;
  const loops = clients.map(async (client) => {
    const Balanced = client.remoteClass<Balanced>('Balanced');
    let obj: RemoteObject<Balanced> = await Balanced.new();
    let expected = 1;
    outcome.pids.add(await obj.pid());
    while (running) {
      try {
        const hits = await obj.hit();
        // Every answer is the next count of this object: a call answered twice, or one lost after it ran, shows.
        if (hits !== expected) throw new Error(`hit ${hits} where ${expected} was due`);
        expected++;
        outcome.answered++;
      } catch (error) {
        const code = (error as RpcError).code ?? String(error);
        if (code !== 'RPC_OBJECT_LOST') outcome.failures.set(code, (outcome.failures.get(code) ?? 0) + 1);
        obj = await Balanced.new(); // its server has gone: the application makes the object anew
        expected = 1;
        outcome.remade++;
        outcome.pids.add(await obj.pid());
      }
    }
  });
  const stop = async (): Promise<void> => {
    running = false;
    await Promise.all(loops);
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(slots.map((slot) => slot.server.close()));
    await haproxy.stop();
  };
  await waitFor(() => outcome.answered > 2 * CLIENTS, 'calls under way');
  return { slots, outcome, haproxy, stop };
}

/** Waits until every client has had answers again, and haproxy sees every server UP. */
async function settle(load: Awaited<ReturnType<typeof balancedLoad>>, before: number): Promise<void> {
  await waitFor(() => load.outcome.answered > before + CLIENTS, 'calls answered after the restart');
  await waitFor(
    async () => Object.values(await load.haproxy.servers()).every((s) => s.status === 'UP'),
    'all UP',
    20_000,
  );
}

it('restarts three servers in turn under 200 clients without losing or repeating a call', async () => {
  const load = await balancedLoad();
  try {
    for (const slot of load.slots) {
      const before = load.outcome.answered;
      await slot.server.ask('drain');
      await slot.server.close(); // it exits once drained
      slot.server = await startBackend(slot.port, slot.healthPort);
      await settle(load, before);
    }
  } finally {
    await load.stop();
  }
  expect(Object.fromEntries(load.outcome.failures)).toEqual({});
  // Every client's first object lived on a server that was restarted: each made at least one anew.
  expect(load.outcome.remade).toBeGreaterThanOrEqual(CLIENTS);
  // The three first servers, and replacements that the clients moving away found (the last may have found none).
  expect(load.outcome.pids.size).toBeGreaterThanOrEqual(5);
}, 180_000);

it('fails the calls of a server killed under 200 clients with a code, never a hang, and carries on', async () => {
  const load = await balancedLoad();
  try {
    const [victim] = load.slots as [Slot];
    const { pid } = JSON.parse(await victim.server.ask('info')) as { pid: number };
    const before = load.outcome.answered;
    process.kill(pid, 'SIGKILL');
    victim.server = await startBackend(victim.port, victim.healthPort);
    await settle(load, before);
  } finally {
    await load.stop();
  }
  // Calls on the killed server's connections failed with RPC_DISCONNECTED; nothing hung (RPC_DEADLINE) or went silent.
  const failures = Object.fromEntries(load.outcome.failures);
  expect(Object.keys(failures).filter((code) => code !== 'RPC_DISCONNECTED')).toEqual([]);
  expect(failures.RPC_DISCONNECTED).toBeGreaterThan(0);
}, 180_000);
