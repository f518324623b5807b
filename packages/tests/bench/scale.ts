// pnpm bench:scale [--seconds S] [--modes idle,awake] [--connections N]
// Many cores and many connections (issue 13). Event::RPC calls (get_data on one object per connection, through
// @rpc/client) per second against 1, 2 and availableParallelism() @rpc/server processes sharing one port through
// node:cluster (its round-robin), 2 connections per server with 32 calls in flight each, driven by load-generator
// processes of their own: calls/s in all, per server process, the CPU that servers and load generators used, and the
// scaling from 1 server to 2. Then one server process with 1,000 connections (4 calls in flight each). Both with idle
// CPUs and with the CPUs kept awake. Last, the heap and RSS per idle connection of the Event::RPC and of the
// MessagePack-RPC server with 10,000 idle connections, after a collection. Clients and servers share this machine's
// cores. Prints tables, the issue's targets, and a JSON line.
import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@rpc/client';
import { Server } from '@rpc/server';
import { type CpuMode, inCpuModes, printTargets, ratio } from '@rpc/testkit/bench';
import { startChildServer, type ChildServer } from '../src/child-server.js';
import { perlContractClasses, type EventRpcTest } from '../src/test-classes.js';

const script = fileURLToPath(import.meta.url);
const fixtures = join(dirname(script), '..', 'fixtures');
const cores = availableParallelism();
/** Load-generator processes: as many as cores, whatever the number of servers, so that every run has the same. */
const loaders = cores;
const CONNECTIONS_PER_SERVER = 2;
const WINDOW = 32;
const MANY = 1000;
const MANY_WINDOW = 4;
const WARMUP_MS = 1000;
/** Longest waits for a child to start (and open its connections) and to answer: the run stays bounded. */
const START_TIMEOUT_MS = 60_000;
const ANSWER_TIMEOUT_MS = 10_000;
/** 10,000 connections need as many file descriptors in the server and in the client process. */
const RAISE_FDS = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';

// ---- In the child processes ------------------------------------------------------------------------------------

/** Prints READY <ready>, answers each line on stdin with one JSON line, and runs `end` when stdin ends. */
function answerLines(ready: number, answer: (line: string) => unknown, end: () => void = () => process.exit(0)): void {
  process.stdout.write(`READY ${ready}\n`);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', async (line) => process.stdout.write(`${JSON.stringify(await answer(line.trim()))}\n`));
  lines.on('close', end);
}

interface WorkerStats {
  readonly pid: number;
  readonly connections: number;
  readonly callsServed: number;
  /** CPU time used so far, user and system. */
  readonly cpuMicros: number;
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

const cpuMicros = (): number => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** A cluster worker: one Event::RPC server on the port all workers share; answers 'stats' from the primary. */
async function runWorker(): Promise<void> {
  const server = await new Server({
    host: '127.0.0.1',
    port: 0, // in a cluster, every worker's port 0 is the same port, chosen once by the primary
    classes: perlContractClasses(),
    maxConnections: 20_000,
    maxConnectionsPerAddress: 20_000, // every client is 127.0.0.1
  }).start();
  process.on('message', () => {
    const { connections, callsServed } = server.stats();
    const stats: WorkerStats = { pid: process.pid, connections, callsServed, cpuMicros: cpuMicros() };
    process.send?.(stats);
  });
  process.send?.(server.port);
}

function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise((resolve) => worker.once('message', resolve));
}

/** The cluster primary: forks `count` workers and prints READY <port>; 'stats' gives theirs; stdin's end stops them. */
async function runCluster(count: number): Promise<void> {
  cluster.setupPrimary({ args: ['--role', 'worker'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const workers = Array.from({ length: count }, () => cluster.fork());
  let stopping = false;
  cluster.on('exit', (worker, code) => {
    if (stopping) return;
    process.stderr.write(`worker ${worker.process.pid} exited with ${code}\n`);
    process.exit(1);
  });
  const ports = await Promise.all(workers.map((worker) => nextMessage<number>(worker)));
  if (new Set(ports).size !== 1) throw new Error(`the workers listen on different ports: ${ports.join(', ')}`);
  const stats = (): Promise<WorkerStats[]> =>
    Promise.all(
      workers.map((worker) => {
        const next = nextMessage<WorkerStats>(worker);
        worker.send('stats');
        return next;
      }),
    );
  answerLines(ports[0] as number, stats, () => {
    stopping = true;
    for (const worker of workers) worker.process.kill();
    process.exit(0);
  });
}

interface Caller {
  get_data(): Promise<unknown>;
}

async function openCaller(port: number): Promise<Caller> {
  const client = new Client({ host: '127.0.0.1', port });
  await client.connect();
  return client.remoteClass<EventRpcTest, [string, string]>('Event_RPC_Test').new('data', 'bench');
}

interface LoaderStats {
  readonly answered: number;
  readonly errors: number;
  readonly cpuMicros: number;
}

/** In batches, as many at a time as a listen backlog takes. */
async function openInBatches<T>(count: number, open: () => Promise<T>): Promise<T[]> {
  const opened: T[] = [];
  for (let done = 0; done < count; done += 250) {
    opened.push(...(await Promise.all(Array.from({ length: Math.min(250, count - done) }, open))));
  }
  return opened;
}

/**
 * A load generator: `count` connections, each with one object; on 'go' keeps `window` get_data calls in flight on
 * each; every line is answered with the calls answered so far. Exits when stdin ends, calls in flight or not.
 */
async function runLoader(port: number, count: number, window: number): Promise<void> {
  const callers = await openInBatches(count, () => openCaller(port));
  let answered = 0;
  let errors = 0;
  // A failed call is not repeated: on a broken connection that would spin without end.
  const call = (caller: Caller): void =>
    void caller.get_data().then(
      () => {
        answered++;
        call(caller);
      },
      () => errors++,
    );
  answerLines(callers.length, (line): LoaderStats => {
    if (line === 'go') for (const caller of callers) for (let i = 0; i < window; i++) call(caller);
    return { answered, errors, cpuMicros: cpuMicros() };
  });
}

/** [0, 0, "echo", ["x"]] in MessagePack: each idle MessagePack-RPC connection has served one call. */
const ECHO_REQUEST = Buffer.from([0x94, 0x00, 0x00, 0xa4, ...Buffer.from('echo'), 0x91, 0xa1, 0x78]);

async function openIdleMprpc(port: number): Promise<Socket> {
  const socket = tcpConnect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(ECHO_REQUEST);
  await once(socket, 'data'); // the answer, [1, 0, nil, "x"]: six bytes, in one read
  return socket;
}

/** `count` idle MessagePack-RPC connections, as fixtures/idle-clients.mjs opens Event::RPC ones. */
async function runIdleMprpc(port: number, count: number): Promise<void> {
  const sockets = await openInBatches(count, () => openIdleMprpc(port));
  answerLines(sockets.length, () => ({}));
}

// ---- In the benchmark's own process -----------------------------------------------------------------------------

function within<T>(promise: Promise<T>, what: string, ms = START_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing in ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** This script in another process, in `role`, with as many file descriptors as the system allows. */
function startRole(role: string, args: Record<string, number>): Promise<ChildServer> {
  const argv = Object.entries(args).flatMap(([name, value]) => [`--${name}`, String(value)]);
  const command = [process.execPath, ...process.execArgv, script, '--role', role, ...argv];
  return within(startChildServer('sh', ['-c', RAISE_FDS, ...command], process.cwd()), role);
}

async function askJson<T>(child: ChildServer, line: string): Promise<T> {
  return JSON.parse(await within(child.ask(line), line, ANSWER_TIMEOUT_MS)) as T;
}

/** Starts every child at once; what started is pushed to `into` (to be closed) even when another fails. */
async function startAll(starts: Array<() => Promise<ChildServer>>, into: ChildServer[]): Promise<void> {
  const results = await Promise.allSettled(starts.map((start) => start()));
  for (const result of results) if (result.status === 'fulfilled') into.push(result.value);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

async function closeAll(children: readonly ChildServer[]): Promise<void> {
  await Promise.all(children.map((child) => child.close()));
}

interface Snapshot {
  readonly at: number;
  /** CPU time of the whole machine so far, in ms: busy (others' processes too), of niced processes, and all. */
  readonly machine: { readonly busy: number; readonly nice: number; readonly total: number };
  readonly workers: WorkerStats[];
  readonly loaders: LoaderStats[];
}

function machineTimes(): Snapshot['machine'] {
  const times = cpus().map(({ times: t }) => ({
    busy: t.user + t.nice + t.sys + t.irq,
    nice: t.nice,
    total: t.user + t.nice + t.sys + t.irq + t.idle,
  }));
  const total = (key: keyof (typeof times)[number]): number => sum(times.map((t) => t[key]));
  return { busy: total('busy'), nice: total('nice'), total: total('total') };
}

async function snapshot(servers: ChildServer, load: readonly ChildServer[]): Promise<Snapshot> {
  const [workers, ...loaders] = await Promise.all([
    askJson<WorkerStats[]>(servers, 'stats'),
    ...load.map((loader) => askJson<LoaderStats>(loader, 'stats')),
  ]);
  return {
    at: performance.now(),
    machine: machineTimes(),
    workers: workers as WorkerStats[],
    loaders: loaders as LoaderStats[],
  };
}

interface Throughput {
  readonly servers: number;
  readonly connections: number;
  readonly window: number;
  readonly callsPerSec: number;
  readonly perServerProcess: number;
  /** CPU the servers used, in cores (1 = one core all the time). */
  readonly serverCores: number;
  readonly loaderCores: number;
  /** CPU the whole machine used, in cores: ours, the awake mode's loops, anyone else's. */
  readonly machineCores: number;
  /** What of it went to niced processes: the awake mode's loops (nice 19), and any other niced ones. */
  readonly nicedCores: number;
  /** Calls answered per second of server CPU time. */
  readonly callsPerServerCpuSec: number;
  readonly connectionsPerServer: number[];
  /** Each server's share of the calls served, in %. */
  readonly callsSharePercent: number[];
  readonly errors: number;
}

function throughputOf(a: Snapshot, b: Snapshot, window: number): Throughput {
  const elapsed = (b.at - a.at) / 1000;
  const delta = (pick: (s: Snapshot) => number[]): number => sum(pick(b)) - sum(pick(a));
  const callsPerSec = delta((s) => s.loaders.map((l) => l.answered)) / elapsed;
  const serverCores = delta((s) => s.workers.map((w) => w.cpuMicros)) / 1e6 / elapsed;
  const machineCores = (key: 'busy' | 'nice'): number =>
    Number(((cores * (b.machine[key] - a.machine[key])) / (b.machine.total - a.machine.total)).toFixed(2));
  const served = b.workers.map((w, i) => w.callsServed - (a.workers[i]?.callsServed ?? 0));
  return {
    servers: b.workers.length,
    connections: sum(b.workers.map((w) => w.connections)),
    window,
    callsPerSec: Math.round(callsPerSec),
    perServerProcess: Math.round(callsPerSec / b.workers.length),
    serverCores: Number(serverCores.toFixed(2)),
    loaderCores: Number((delta((s) => s.loaders.map((l) => l.cpuMicros)) / 1e6 / elapsed).toFixed(2)),
    machineCores: machineCores('busy'),
    nicedCores: machineCores('nice'),
    callsPerServerCpuSec: Math.round(callsPerSec / serverCores),
    connectionsPerServer: b.workers.map((w) => w.connections),
    callsSharePercent: served.map((n) => Math.round((100 * n) / sum(served))),
    errors: sum(b.loaders.map((l) => l.errors)),
  };
}

/** `total` split into `parts` nearly equal whole numbers. */
const split = (total: number, parts: number): number[] =>
  Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));

/** `servers` cluster workers on one port, `connections` over the load generators, measured for `seconds`. */
async function throughput(servers: number, connections: number, window: number, seconds: number): Promise<Throughput> {
  const children: ChildServer[] = [];
  try {
    await startAll([() => startRole('cluster', { workers: servers })], children);
    const pool = children[0] as ChildServer;
    const counts = split(connections, Math.min(loaders, connections));
    await startAll(
      counts.map((count) => () => startRole('load', { port: pool.port, count, window })),
      children,
    );
    const load = children.slice(1);
    await Promise.all(load.map((loader) => askJson<LoaderStats>(loader, 'go')));
    await sleep(WARMUP_MS);
    const start = await snapshot(pool, load);
    await sleep(seconds * 1000);
    return throughputOf(start, await snapshot(pool, load), window);
  } finally {
    await closeAll(children.reverse()); // the load generators first, then the servers
  }
}

interface ModeResult {
  readonly runs: Throughput[];
  /** Calls/s with 2 servers over calls/s with 1. */
  readonly scaling: number;
  /** The same per second of server CPU: what the servers lose per core when there are two. */
  readonly scalingPerServerCpu: number;
  readonly many: Throughput;
}

async function measureMode(seconds: number): Promise<ModeResult> {
  const runs: Throughput[] = [];
  for (const servers of [...new Set([1, 2, cores])]) {
    runs.push(await throughput(servers, CONNECTIONS_PER_SERVER * servers, WINDOW, seconds));
  }
  const [one, two] = runs as [Throughput, Throughput];
  return {
    runs,
    scaling: ratio(two.callsPerSec, one.callsPerSec),
    scalingPerServerCpu: ratio(two.callsPerServerCpuSec, one.callsPerServerCpuSec),
    many: await throughput(1, MANY, MANY_WINDOW, seconds),
  };
}

/** Why 2 servers did not reach 1.6 times 1, from where the CPU went. */
function whyNotScaled(mode: CpuMode, two: Throughput): string {
  const cpu = `servers ${two.serverCores}, load generators ${two.loaderCores}`;
  const others = Math.max(0, two.machineCores - two.serverCores - two.loaderCores - two.nicedCores).toFixed(2);
  const niced = mode === 'awake' ? 'niced (the awake loops)' : 'niced processes';
  if (two.machineCores >= 0.9 * cores) {
    return (
      `the ${cores} cores were all busy with 2 servers (${cpu}, ${niced} ${two.nicedCores}, other processes ` +
      `${others}): clients and servers share the cores, and 2 servers cannot have 2 of them while the load ` +
      'generators need what they use.'
    );
  }
  return (
    `the ${cores} cores were not all busy with 2 servers (${two.machineCores} of them: ${cpu}): calls wait on round ` +
    'trips (wake-ups, turns of the event loops) rather than on CPU, so a second server process adds little here.'
  );
}

function reportMode(mode: CpuMode, seconds: number, result: ModeResult): void {
  const widths = [8, 12, 10, 9, 11, 11, 11, 12, 11, 12, 16, 13];
  const line = (...cells: Array<string | number>): string =>
    cells.map((cell, i) => String(cell).padStart(widths[i] ?? 8)).join(' ');
  console.log(
    `\n${mode} CPUs: Event::RPC get_data calls/s, servers sharing one port through node:cluster; ` +
      `${seconds}s after ${WARMUP_MS / 1000}s of warm-up; ${loaders} load-generator processes on the same ` +
      `${cores} cores`,
  );
  console.log(
    line(
      'servers',
      'connections',
      'in flight',
      'calls/s',
      'per server',
      'server CPU',
      'client CPU',
      'machine CPU',
      'of it niced',
      'calls/CPU s',
      'conns per server',
      'calls share %',
    ),
  );
  for (const r of [...result.runs, result.many]) {
    console.log(
      line(
        r.servers,
        r.connections,
        r.connections * r.window,
        r.callsPerSec,
        r.perServerProcess,
        r.serverCores.toFixed(2),
        r.loaderCores.toFixed(2),
        r.machineCores.toFixed(2),
        r.nicedCores.toFixed(2),
        r.callsPerServerCpuSec,
        r.connectionsPerServer.join('/'),
        r.callsSharePercent.join('/'),
      ) + (r.errors > 0 ? `  (${r.errors} calls failed)` : ''),
    );
  }
  const [one, two] = result.runs as [Throughput, Throughput];
  console.log(
    `scaling 2 servers / 1: ${result.scaling} (target >= 1.6: ${result.scaling >= 1.6 ? 'met' : 'not met'}); ` +
      `per second of server CPU: ${result.scalingPerServerCpu}`,
  );
  if (result.scaling < 1.6) console.log(`  ${whyNotScaled(mode, two)}`);
  console.log(
    `${MANY} connections on 1 server (${MANY_WINDOW} in flight each): ${result.many.callsPerSec} calls/s, ` +
      `${ratio(result.many.callsPerSec, one.callsPerSec)} times 1 server with ${one.connections} connections`,
  );
}

// ---- Memory per idle connection -----------------------------------------------------------------------------------

type ServerKind = 'eventRpc' | 'mprpc';

interface MemoryStats {
  readonly connections: number;
  readonly heapUsed: number;
  readonly rss: number;
}

interface IdleMemory {
  readonly connections: number;
  readonly heapBytesPerConn: number;
  readonly rssBytesPerConn: number;
  readonly before: { readonly heapUsed: number; readonly rss: number };
  readonly after: { readonly heapUsed: number; readonly rss: number };
}

/** The server fixture, its memory its own; 'stats gc' gives its heap after a collection. */
function startMemoryServer(kind: ServerKind, count: number): Promise<ChildServer> {
  const limits = { maxConnections: count + 10, maxConnectionsPerAddress: count + 10 };
  const fixture = join(fixtures, kind === 'eventRpc' ? 'load-server.mjs' : 'mprpc-load-server.mjs');
  const command = [process.execPath, '--expose-gc', fixture, JSON.stringify(limits)];
  return within(startChildServer('sh', ['-c', RAISE_FDS, ...command], process.cwd()), `${kind} server`);
}

/** Event::RPC: negotiated (MessagePack), which is all this server asks before calls. MessagePack-RPC: one call. */
function openIdle(kind: ServerKind, port: number, count: number): Promise<ChildServer> {
  if (kind === 'mprpc') return startRole('mprpc-idle', { port, count });
  const command = [process.execPath, join(fixtures, 'idle-clients.mjs'), String(port), String(count)];
  return within(startChildServer('sh', ['-c', RAISE_FDS, ...command], process.cwd()), 'idle clients');
}

async function untilConnections(server: ChildServer, count: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while ((await askJson<MemoryStats>(server, 'stats')).connections !== count) {
    if (Date.now() > deadline) throw new Error(`the server never had ${count} connections`);
    await sleep(100);
  }
}

async function idleMemory(kind: ServerKind, count: number): Promise<IdleMemory> {
  const children: ChildServer[] = [];
  try {
    await startAll([() => startMemoryServer(kind, count)], children);
    const server = children[0] as ChildServer;
    const before = await askJson<MemoryStats>(server, 'stats gc');
    await startAll([() => openIdle(kind, server.port, count)], children);
    await untilConnections(server, count);
    const after = await askJson<MemoryStats>(server, 'stats gc');
    return {
      connections: count,
      heapBytesPerConn: Math.round((after.heapUsed - before.heapUsed) / count),
      rssBytesPerConn: Math.round((after.rss - before.rss) / count),
      before: { heapUsed: before.heapUsed, rss: before.rss },
      after: { heapUsed: after.heapUsed, rss: after.rss },
    };
  } finally {
    await closeAll(children.reverse());
  }
}

function reportMemory(memory: Record<ServerKind, IdleMemory>, count: number): void {
  const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
  console.log(`\nmemory per idle connection, ${count} connections, after a collection (server process only)`);
  console.log(
    `${'server'.padEnd(16)} ${'heap MiB before/after'.padStart(22)} ${'RSS MiB before/after'.padStart(21)} ` +
      `${'heap B/conn'.padStart(12)} ${'RSS B/conn'.padStart(11)}`,
  );
  for (const [name, m] of [
    ['Event::RPC', memory.eventRpc],
    ['MessagePack-RPC', memory.mprpc],
  ] as const) {
    console.log(
      `${name.padEnd(16)} ${`${mib(m.before.heapUsed)}/${mib(m.after.heapUsed)}`.padStart(22)} ` +
        `${`${mib(m.before.rss)}/${mib(m.after.rss)}`.padStart(21)} ${String(m.heapBytesPerConn).padStart(12)} ` +
        `${String(m.rssBytesPerConn).padStart(11)}`,
    );
  }
  console.log(
    'idle: Event::RPC connections have negotiated MessagePack (this server needs no login); MessagePack-RPC ones ' +
      'have served one call. The kernel socket buffers are not in RSS.',
  );
}

// ---- Main ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '3' },
      modes: { type: 'string', default: 'idle,awake' },
      connections: { type: 'string', default: '10000' },
      role: { type: 'string' },
      workers: { type: 'string' },
      port: { type: 'string' },
      count: { type: 'string' },
      window: { type: 'string' },
    },
  });
  const [port, count] = [Number(values.port), Number(values.count)];
  if (values.role === 'worker') return runWorker();
  if (values.role === 'cluster') return runCluster(Number(values.workers));
  if (values.role === 'load') return runLoader(port, count, Number(values.window));
  if (values.role === 'mprpc-idle') return runIdleMprpc(port, count);

  const seconds = Number(values.seconds);
  const idleConnections = Number(values.connections);
  const modes = await inCpuModes(values.modes.split(',') as CpuMode[], async (mode) => {
    const result = await measureMode(seconds);
    reportMode(mode, seconds, result);
    return result;
  });
  const memory = {
    eventRpc: await idleMemory('eventRpc', idleConnections),
    mprpc: await idleMemory('mprpc', idleConnections),
  };
  reportMemory(memory, idleConnections);

  // Memory does not depend on the CPU mode: measured once, it stands in both columns.
  const kib = (m: IdleMemory): number => Number((m.rssBytesPerConn / 1024).toFixed(2));
  const both = (value: number) => ({ idle: value, awake: value });
  const targets = printTargets('issue 13 targets (memory measured once, shown in both columns)', [
    {
      path: '2 servers / 1, calls/s',
      before: 'not measured',
      target: 1.6,
      measured: { idle: modes.idle?.scaling, awake: modes.awake?.scaling },
    },
    {
      path: 'Event::RPC KiB RSS/idle conn',
      before: 'not measured',
      target: 10,
      bound: 'atMost',
      measured: both(kib(memory.eventRpc)),
    },
    {
      path: 'MPRPC KiB RSS/idle conn',
      before: 'not measured',
      target: 10,
      bound: 'atMost',
      measured: both(kib(memory.mprpc)),
    },
  ]);
  console.log(
    JSON.stringify({
      bench: 'scale',
      seconds,
      cores,
      loaders,
      connectionsPerServer: CONNECTIONS_PER_SERVER,
      window: WINDOW,
      many: { connections: MANY, window: MANY_WINDOW },
      modes,
      idleMemory: { connections: idleConnections, ...memory },
      targets,
    }),
  );
}

await main();
