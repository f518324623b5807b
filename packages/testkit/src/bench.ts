// The benchmark harness (@rpc/testkit/bench). Kept apart from the test helpers: loading
// those (selfsigned and its crypto stack) was seen to cut 1 MiB echo throughput threefold.
import { fork } from 'node:child_process';
import { profiled, profileFlags } from './profile.js';

export { inCpuModes, keepCpusAwake, type CpuMode } from './awake.js';
export { profiled, profileFlags, topFrames } from './profile.js';
export { coalescingRawClient, rawClient, rawEchoServer, type RawClient } from './raw-echo.js';
export { byMode, judge, printTargets, type TargetResult, type TargetRow } from './targets.js';

/**
 * The command-line options every benchmark takes, for node:util's parseArgs (spread, then add or override):
 * seconds per measurement, rounds, CPU modes, and the server role of a forked process.
 */
export const BENCH_OPTIONS = {
  seconds: { type: 'string', default: '1.5' },
  rounds: { type: 'string', default: '5' },
  modes: { type: 'string', default: 'idle,awake' },
  serve: { type: 'string' },
} as const;

/** One connection of a contender: send() issues one call or message; its answer calls the onAnswer given to open. */
export interface BenchClient {
  send(): void;
  close(): void;
}

export type OpenBenchClient = (onAnswer: () => void) => Promise<BenchClient>;

export interface Measurement {
  /** Answers per second. */
  readonly rate: number;
  /** Round-trip times in ms, when window is 1. */
  readonly rtts: number[];
}

/**
 * Keeps `window` calls in flight on one connection for `seconds`. Every
 * contender does the same work per answer; when pipelined, the clock is read
 * once per 1024 answers.
 */
export async function measure(open: OpenBenchClient, window: number, seconds: number): Promise<Measurement> {
  const rtts: number[] = [];
  let answered = 0;
  let sent = 0;
  let sentAt = 0n;
  let stopping = false;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const start = process.hrtime.bigint();
  const stopAt = start + BigInt(Math.round(seconds * 1e9));
  const client = await open(() => {
    answered++;
    if (window === 1 || (answered & 1023) === 0) {
      const now = process.hrtime.bigint();
      if (window === 1) rtts.push(Number(now - sentAt) / 1e6);
      if (now >= stopAt) stopping = true;
      sentAt = now;
    }
    if (!stopping) {
      sent++;
      client.send();
    } else if (answered === sent) finish();
  });
  for (; sent < window; sent++) client.send();
  sentAt = process.hrtime.bigint();
  await done;
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  client.close();
  return { rate: answered / elapsed, rtts };
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
}

/** a / b to three decimals. */
export function ratio(a: number, b: number): number {
  return Number((a / b).toFixed(3));
}

/** A server process started by forkServer. */
export interface ForkedServer {
  readonly port: number;
  readonly pid: number;
  /** Stops it (kill() does not wait); stop() resolves once it has exited, its profile written if it was profiled. */
  kill(): void;
  stop(): Promise<void>;
}

/**
 * Runs `script --serve <kind> ...args` in its own process (so that client and
 * server each have a core) and resolves with the port it reports through IPC.
 * With `profileDir`, the process runs under --cpu-prof and writes its profile there when stopped.
 */
export async function forkServer(
  script: string,
  kind: string,
  args: string[] = [],
  profileDir?: string,
): Promise<ForkedServer> {
  const execArgv = profileDir === undefined ? process.execArgv : [...process.execArgv, ...profileFlags(profileDir)];
  const child = fork(script, ['--serve', kind, ...args], { execArgv });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  const kill = (): void => void child.kill();
  const stop = (): Promise<void> => {
    kill();
    return exited;
  };
  return { port, pid: child.pid as number, kill, stop };
}

/**
 * In a process started by forkServer: reports the port to the parent, and exits cleanly when stopped (so that
 * --cpu-prof writes its profile).
 */
export function reportPort(port: number): void {
  process.once('SIGTERM', () => process.exit(0));
  process.send?.({ port });
}

/** Rates measured per round for one contender, and every round trip seen when sequential. */
export interface Runs {
  readonly sequential: number[];
  readonly pipelined: number[];
  readonly rtts: number[];
}

export function newRuns(): Runs {
  return { sequential: [], pipelined: [], rtts: [] };
}

/** Medians of the rounds, and round-trip percentiles over all of them. */
export function summarize(runs: Runs): {
  sequentialPerSec: number;
  pipelinedPerSec: number;
  rttP50Ms: number;
  rttP99Ms: number;
} {
  const rtts = [...runs.rtts].sort((a, b) => a - b);
  return {
    sequentialPerSec: Math.round(median(runs.sequential)),
    pipelinedPerSec: Math.round(median(runs.pipelined)),
    rttP50Ms: Number(percentile(rtts, 50).toFixed(4)),
    rttP99Ms: Number(percentile(rtts, 99).toFixed(4)),
  };
}

export type Summary = ReturnType<typeof summarize>;

/**
 * `rounds` rounds in which every contender, in an order rotated each round so
 * that drift hits them alike, is measured one call at a time and with 100 in
 * flight; `afterRound` runs at the end of each round (a benchmark's extra
 * measurement). Resolves with each contender's medians.
 */
export async function roundRobin<K extends string>(
  kinds: readonly K[],
  open: (kind: K) => OpenBenchClient,
  options: { readonly rounds: number; readonly seconds: number },
  afterRound?: (round: number) => Promise<void>,
): Promise<Record<K, Summary>> {
  const runs = Object.fromEntries(kinds.map((kind) => [kind, newRuns()])) as Record<K, Runs>;
  for (let round = 0; round < options.rounds; round++) {
    const order = kinds.map((_, i) => kinds[(i + round) % kinds.length] as K);
    for (const [scenario, window] of [
      ['sequential', 1],
      ['pipelined', 100],
    ] as const) {
      for (const kind of order) {
        const { rate, rtts } = await measure(open(kind), window, options.seconds);
        runs[kind][scenario].push(rate);
        runs[kind].rtts.push(...rtts);
      }
    }
    await afterRound?.(round);
    process.stderr.write(`round ${round + 1}/${options.rounds} done\n`);
  }
  return Object.fromEntries(kinds.map((kind) => [kind, summarize(runs[kind])])) as Record<K, Summary>;
}

/**
 * A small-call benchmark's --profile DIR: `kind`'s server forked under --cpu-prof, its calls measured with 100 in
 * flight and then one at a time for `seconds` each, client and server profiled; prints their top frames.
 */
export async function profileCalls(
  script: string,
  kind: string,
  open: (port: number) => OpenBenchClient,
  dir: string,
  seconds: number,
): Promise<void> {
  const server = await forkServer(script, kind, [], dir);
  await profiled(dir, server, async () => {
    for (const window of [100, 1]) {
      const { rate } = await measure(open(server.port), window, seconds);
      console.log(`${window} in flight: ${Math.round(rate)} calls/s (under the profiler)`);
    }
  });
}
