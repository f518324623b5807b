// tsx packages/tests/bench/large.ts [--seconds S] [--rounds N] [--mib M] [--modes idle,awake] [--profile DIR]
// Large arguments echoed back (issue 13): a 16 MiB Buffer and a 16 MiB string through @rpc/client ->
// @rpc/server (MessagePack, a method `echo(x) { return x }`), against the raw node:net framed echo (writing at
// once) of a payload of the same size. One call in flight; every server in its own process, started afresh in
// each CPU mode; contenders take turns; medians of the rounds. Each server samples its RSS every 5 ms: reported
// is the peak during the large calls minus its RSS before the first of them, over the payload size (and the
// same from the kernel's high-water mark, which sees peaks between samples). Prints the targets and a JSON line.
// bench:rpc can run largeEcho() inside its own CPU modes. With --profile DIR it only profiles the Buffer echo, then
// the string echo (client and server), and prints their top frames.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@rpc/client';
import { Server } from '@rpc/server';
import {
  BENCH_OPTIONS,
  byMode,
  type CpuMode,
  inCpuModes,
  median,
  printTargets,
  profiled,
  profileFlags,
  ratio,
  rawClient,
  rawEchoServer,
  reportPort,
  type TargetResult,
} from '@rpc/testkit/bench';

type Contender = 'raw' | 'binary' | 'string';
const contenders: readonly Contender[] = ['raw', 'binary', 'string'];
const MIB = 1024 * 1024;
/** Server and client limits for the large calls: a 16 MiB argument plus its envelope passes the 16 MiB default. */
const MAX_PACKET_SIZE = 64 * MIB;

export interface LargeOptions {
  readonly rounds: number;
  /** Time spent echoing per contender per round (at least two echoes each). */
  readonly seconds: number;
  /** Payload size in MiB (default 16). */
  readonly mib?: number;
}

export interface Rss {
  /** Peak RSS sampled every 5 ms during the large calls, minus the RSS before the first of them, over the payload. */
  readonly peakOverPayload: number;
  /** The same from VmHWM (the kernel's high-water mark, which sees every peak), over the payload. */
  readonly hwmOverPayload: number;
}

export interface LargeResult {
  readonly payloadBytes: number;
  /** Payload bytes echoed per second (one way), median of the rounds. */
  readonly mbPerSec: Record<Contender, number>;
  readonly ratios: { readonly binaryVsRaw: number; readonly stringVsRaw: number };
  readonly serverRss: Record<Contender, Rss>;
}

class LargeEcho {
  echo(value: unknown): unknown {
    return value;
  }
}

interface RssRequest {
  readonly rss: 'start' | 'stop';
}

function vmHwm(): number {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

/** In a server process: samples RSS every 5 ms; the parent asks for the peak since 'start', against the first start. */
function watchRss(): void {
  let base: number | undefined;
  let peak = 0;
  const sample = (): void => {
    const rss = process.memoryUsage.rss();
    if (rss > peak) peak = rss;
  };
  setInterval(sample, 5).unref();
  process.once('disconnect', () => process.exit(0)); // the parent is gone
  process.on('message', (m: RssRequest) => {
    if (m.rss === 'start') {
      base ??= process.memoryUsage.rss();
      peak = 0;
      sample();
    } else if (m.rss === 'stop') {
      sample();
      process.send?.({ rss: { base, peak, hwm: vmHwm() } });
    }
  });
}

async function serve(kind: Contender): Promise<void> {
  watchRss();
  if (kind === 'raw') return reportPort(((await rawEchoServer()).address() as { port: number }).port);
  const server = new Server({
    host: '127.0.0.1',
    port: 0,
    classes: { Large: { impl: LargeEcho, methods: { new: '_constructor', echo: 1 } } },
    messageFormats: ['MSGP'],
    maxPacketSize: MAX_PACKET_SIZE,
    logger: { log: () => undefined },
  });
  await server.setupListeners();
  reportPort(server.port);
}

interface ServerProcess {
  readonly port: number;
  readonly pid: number;
  /** Starts watching for the peak; the first start fixes the base. */
  start(): void;
  /** The peak since start() and the high-water mark, less the base, in bytes. */
  peak(): Promise<{ peak: number; hwm: number }>;
  /** Resolves once it has exited (its profile written, if profiled). */
  stop(): Promise<void>;
}

async function forkLarge(script: string, kind: Contender, profileDir?: string): Promise<ServerProcess> {
  const execArgv = profileDir === undefined ? process.execArgv : [...process.execArgv, ...profileFlags(profileDir)];
  const child: ChildProcess = fork(script, ['--serve', kind], { execArgv });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  process.once('exit', () => child.kill());
  return {
    port,
    pid: child.pid as number,
    start: () => child.send({ rss: 'start' }),
    peak: () =>
      new Promise((resolve) => {
        child.once('message', ({ rss }: { rss: { base: number; peak: number; hwm: number } }) =>
          resolve({ peak: rss.peak - rss.base, hwm: rss.hwm - rss.base }),
        );
        child.send({ rss: 'stop' });
      }),
    stop: () => {
      child.kill(); // reportPort exits on SIGTERM, so that --cpu-prof writes its profile
      return exited;
    },
  };
}

/** One connection echoing one payload at a time. */
interface Echoer {
  echo(): Promise<void>;
  close(): Promise<void>;
}

async function openEchoer(kind: Contender, port: number, bytes: number): Promise<Echoer> {
  if (kind === 'raw') {
    const payload = Buffer.alloc(bytes, 7);
    let answered: () => void = () => undefined;
    const raw = await rawClient(port, () => answered());
    return {
      echo: () =>
        new Promise<void>((resolve) => {
          answered = resolve;
          raw.send(payload);
        }),
      close: async () => raw.close(),
    };
  }
  const client = new Client({ host: '127.0.0.1', port, maxPacketSize: MAX_PACKET_SIZE, messageFormats: ['MSGP'] });
  await client.connect();
  const obj = await client.remoteClass<LargeEcho>('Large').new();
  const payload = kind === 'binary' ? Buffer.alloc(bytes, 7) : 'x'.repeat(bytes);
  await obj.echo(kind === 'binary' ? Buffer.alloc(16, 7) : 'x'); // warm up on a small argument
  return {
    async echo() {
      const back = (await obj.echo(payload)) as { length: number };
      if (back.length !== bytes) throw new Error(`${kind}: echoed ${back.length} of ${bytes} bytes`);
    },
    close: () => client.close(),
  };
}

/** MB/s (one way) of echoing for `seconds`, at least twice. */
async function timeEchoes(echoer: Echoer, bytes: number, seconds: number): Promise<number> {
  const start = process.hrtime.bigint();
  let elapsed = 0;
  let echoes = 0;
  while (echoes < 2 || elapsed < seconds) {
    await echoer.echo();
    echoes++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  return (echoes * bytes) / elapsed / 1e6;
}

/** Measures every contender in the CPU state of the moment, with servers of its own. */
export async function largeEcho(options: LargeOptions): Promise<LargeResult> {
  const bytes = Math.round((options.mib ?? 16) * MIB);
  const script = fileURLToPath(import.meta.url);
  const servers = {} as Record<Contender, ServerProcess>;
  const echoers = {} as Record<Contender, Echoer>;
  try {
    for (const kind of contenders) {
      servers[kind] = await forkLarge(script, kind);
      echoers[kind] = await openEchoer(kind, servers[kind].port, bytes);
    }
    const rates = Object.fromEntries(contenders.map((kind) => [kind, [] as number[]])) as Record<Contender, number[]>;
    const peaks = Object.fromEntries(contenders.map((kind) => [kind, { peak: 0, hwm: 0 }])) as Record<
      Contender,
      { peak: number; hwm: number }
    >;
    for (let round = 0; round < options.rounds; round++) {
      for (let i = 0; i < contenders.length; i++) {
        const kind = contenders[(i + round) % contenders.length] as Contender;
        servers[kind].start();
        rates[kind].push(await timeEchoes(echoers[kind], bytes, options.seconds));
        const { peak, hwm } = await servers[kind].peak();
        peaks[kind] = { peak: Math.max(peaks[kind].peak, peak), hwm: Math.max(peaks[kind].hwm, hwm) };
      }
      process.stderr.write(`large: round ${round + 1}/${options.rounds} done\n`);
    }
    const mbPerSec = Object.fromEntries(contenders.map((kind) => [kind, Math.round(median(rates[kind]))])) as Record<
      Contender,
      number
    >;
    const over = (n: number): number => Number((n / bytes).toFixed(2));
    return {
      payloadBytes: bytes,
      mbPerSec,
      ratios: { binaryVsRaw: ratio(mbPerSec.binary, mbPerSec.raw), stringVsRaw: ratio(mbPerSec.string, mbPerSec.raw) },
      serverRss: Object.fromEntries(
        contenders.map((kind) => [
          kind,
          { peakOverPayload: over(peaks[kind].peak), hwmOverPayload: over(peaks[kind].hwm) },
        ]),
      ) as Record<Contender, Rss>,
    };
  } finally {
    for (const kind of contenders) await echoers[kind]?.close();
    await Promise.all(contenders.map((kind) => servers[kind]?.stop()));
  }
}

/** Prints one mode's figures. */
export function reportLarge(mode: CpuMode, options: LargeOptions, r: LargeResult): void {
  const mib = r.payloadBytes / MIB;
  console.log(
    `\n${mode} CPUs: ${mib} MiB echoed back, one call in flight; median of ${options.rounds} rounds of ${options.seconds}s`,
  );
  console.log(`${'contender'.padEnd(40)} ${'MB/s'.padStart(8)} ${'server peak RSS / payload'.padStart(26)}`);
  const names: Record<Contender, string> = {
    raw: 'raw node:net framed echo (writes at once)',
    binary: `@rpc/client -> @rpc/server, ${mib} MiB Buffer`,
    string: `@rpc/client -> @rpc/server, ${mib} MiB string`,
  };
  for (const kind of contenders) {
    const rss = r.serverRss[kind];
    console.log(
      `${names[kind].padEnd(40)} ${String(r.mbPerSec[kind]).padStart(8)} ` +
        `${`${rss.peakOverPayload.toFixed(2)} (hwm ${rss.hwmOverPayload.toFixed(2)})`.padStart(26)}`,
    );
  }
  console.log(`ratios: binary/raw ${r.ratios.binaryVsRaw}, string/raw ${r.ratios.stringVsRaw}`);
}

/** The issue's rows for the large calls, from the modes measured. */
export function largeTargets(results: Partial<Record<CpuMode, LargeResult>>): TargetResult[] {
  return printTargets('issue 13, large messages (ratios to the raw framed echo of the same size)', [
    {
      path: '16 MiB binary echoed, rpc/raw',
      before: '0.24',
      target: 0.7,
      measured: byMode(results, (r) => r.ratios.binaryVsRaw),
    },
    {
      path: '16 MiB binary, server peak RSS/payload',
      before: '7',
      target: 3,
      bound: 'atMost',
      measured: byMode(results, (r) => r.serverRss.binary.peakOverPayload),
    },
    {
      path: '16 MiB string echoed, rpc/raw',
      before: '0.14',
      target: 0.4,
      measured: byMode(results, (r) => r.ratios.stringVsRaw),
    },
  ]);
}

/** --profile DIR: the Buffer echo, then the string echo, each with its client and server profiled. */
async function profile(dir: string, options: LargeOptions): Promise<void> {
  const bytes = Math.round((options.mib ?? 16) * MIB);
  for (const kind of ['binary', 'string'] as const) {
    const where = join(dir, kind); // profiled() names the client's profile by pid: one folder each
    const server = await forkLarge(fileURLToPath(import.meta.url), kind, where);
    const echoer = await openEchoer(kind, server.port, bytes);
    await profiled(where, server, async () => {
      const rate = await timeEchoes(echoer, bytes, options.seconds);
      console.log(`\n${kind}: ${Math.round(rate)} MB/s (under the profiler)`);
      await echoer.close();
    });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...BENCH_OPTIONS,
      profile: { type: 'string' },
      seconds: { type: 'string', default: '2' },
      mib: { type: 'string', default: '16' },
    },
  });
  if (values.serve) return serve(values.serve as Contender);
  const options: LargeOptions = {
    seconds: Number(values.seconds),
    rounds: Number(values.rounds),
    mib: Number(values.mib),
  };
  if (values.profile) return profile(values.profile, options);
  const modes = values.modes.split(',') as CpuMode[];
  const results = await inCpuModes(modes, async (mode) => {
    const result = await largeEcho(options);
    reportLarge(mode, options, result);
    return result;
  });
  const targets = largeTargets(results);
  console.log(
    JSON.stringify({ bench: 'large', seconds: options.seconds, rounds: options.rounds, modes: results, targets }),
  );
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
