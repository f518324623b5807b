// pnpm bench:msg [--seconds S] [--rounds N] [--modes idle,awake]
// Framed echo (@rpc/msg client and server) against a raw node:net echo that
// writes all frames of one turn at once, on one loopback connection, with the
// server in its own process: 32-byte messages one at a time and 100 in flight,
// 1 MiB messages 4 in flight, and 64 MiB messages one at a time (the large
// path, issue 13), beside what copying 64 MiB takes in this process (the bound
// a large echo's copies approach). Contenders take turns; medians of the
// rounds; all of it with idle CPUs and with the CPUs kept awake. Prints a
// table per mode, the targets, and one JSON line.
import { parseArgs } from 'node:util';
import { connect, MsgServer } from '@rpc/msg';
import {
  BENCH_OPTIONS,
  type CpuMode,
  forkServer,
  inCpuModes,
  measure,
  median,
  newRuns,
  printTargets,
  ratio,
  rawClient,
  rawEchoServer,
  reportPort,
  summarize,
  type OpenBenchClient,
  type Runs,
} from '@rpc/testkit/bench';

type Contender = 'raw' | 'msg';
const MIB = 1024 * 1024;
const HUGE = 64 * MIB;
/** Limits that let 64 MiB messages through: the default maxPacketSize is 16 MiB, the server's budget 64 MiB. */
const LARGE_LIMITS = { maxPacketSize: 2 * HUGE, maxBufferedBytes: 8 * HUGE } as const;

async function serve(kind: Contender): Promise<void> {
  if (kind === 'raw') return reportPort(((await rawEchoServer()).address() as { port: number }).port);
  const server = await new MsgServer({
    host: '127.0.0.1',
    port: 0,
    ...LARGE_LIMITS,
    login: () => (conn, msg) => msg && conn.sendLater(msg),
  }).start();
  reportPort((server.address as { port: number }).port);
}

function opener(kind: Contender, port: number, payload: Buffer): OpenBenchClient {
  return async (onAnswer) => {
    if (kind === 'raw') {
      const raw = await rawClient(port, onAnswer);
      return { send: () => raw.send(payload), close: () => raw.close() };
    }
    const conn = await connect({ host: '127.0.0.1', port }, (_conn, msg) => msg && onAnswer(), {
      maxPacketSize: LARGE_LIMITS.maxPacketSize,
    });
    return { send: () => conn.sendLater(payload), close: () => conn.destroy() };
  };
}

const scenarios = {
  sequential: { payload: Buffer.alloc(32, 7), window: 1 },
  pipelined: { payload: Buffer.alloc(32, 7), window: 100 },
  large: { payload: Buffer.alloc(MIB, 7), window: 4 },
  huge: { payload: Buffer.alloc(HUGE, 7), window: 1 },
} as const;
type Scenario = keyof typeof scenarios;

type Results = Record<Contender, Runs & { large: number[]; huge: number[] }>;

/** MB/s of copying 64 MiB with Buffer.copy: into a buffer copied into before, and into a new one each time. */
function copyRates(): { reusedMBPerSec: number; freshMBPerSec: number } {
  const source = scenarios.huge.payload;
  const target = Buffer.allocUnsafe(HUGE);
  source.copy(target);
  const rate = (copy: () => void): number => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = process.hrtime.bigint();
      copy();
      times.push(Number(process.hrtime.bigint() - start) / 1e9);
    }
    return Math.round(HUGE / median(times) / 1e6);
  };
  return {
    reusedMBPerSec: rate(() => source.copy(target)),
    freshMBPerSec: rate(() => source.copy(Buffer.allocUnsafe(HUGE))),
  };
}

async function runRounds(ports: Record<Contender, number>, options: { rounds: number; seconds: number }) {
  const results: Results = {
    raw: { ...newRuns(), large: [], huge: [] },
    msg: { ...newRuns(), large: [], huge: [] },
  };
  for (let round = 0; round < options.rounds; round++) {
    for (const scenario of Object.keys(scenarios) as Scenario[]) {
      // Alternate who goes first so that drift hits both alike.
      const order: Contender[] = round % 2 === 0 ? ['raw', 'msg'] : ['msg', 'raw'];
      for (const kind of order) {
        const { payload, window } = scenarios[scenario];
        const { rate, rtts } = await measure(opener(kind, ports[kind], payload), window, options.seconds);
        results[kind][scenario].push(rate);
        if (scenario !== 'huge') results[kind].rtts.push(...rtts);
      }
    }
    process.stderr.write(`round ${round + 1}/${options.rounds} done\n`);
  }
  const summary = (kind: Contender) => ({
    ...summarize(results[kind]),
    largeMBPerSec: Math.round(median(results[kind].large) * (MIB / 1e6)),
    hugeMBPerSec: Math.round(median(results[kind].huge) * (HUGE / 1e6)),
  });
  const raw = summary('raw');
  const msg = summary('msg');
  const ratios = {
    sequential: ratio(msg.sequentialPerSec, raw.sequentialPerSec),
    pipelined: ratio(msg.pipelinedPerSec, raw.pipelinedPerSec),
    largeMB: ratio(msg.largeMBPerSec, raw.largeMBPerSec),
    hugeMB: ratio(msg.hugeMBPerSec, raw.hugeMBPerSec),
    rttP50: ratio(msg.rttP50Ms, raw.rttP50Ms),
    rttP99: ratio(msg.rttP99Ms, raw.rttP99Ms),
  };
  return { raw, msg, ratios, copy: copyRates() };
}

function report(mode: CpuMode, options: { rounds: number; seconds: number }, r: Awaited<ReturnType<typeof runRounds>>) {
  type Row = typeof r.raw;
  const row = (name: string, x: Row) =>
    `${name.padEnd(22)} ${String(x.sequentialPerSec).padStart(12)} ${String(x.pipelinedPerSec).padStart(14)} ` +
    `${String(x.largeMBPerSec).padStart(10)} ${String(x.hugeMBPerSec).padStart(11)} ` +
    `${x.rttP50Ms.toFixed(3).padStart(9)} ${x.rttP99Ms.toFixed(3).padStart(9)}`;
  console.log(
    `\n${mode} CPUs: framed echo, one connection: 32-byte messages (100 in flight for pipelined), 1 MiB messages ` +
      `(4 in flight), 64 MiB messages (one at a time); median of ${options.rounds} rounds of ${options.seconds}s`,
  );
  console.log(
    `${'contender'.padEnd(22)} ${'sequential/s'.padStart(12)} ${'100 in flight/s'.padStart(14)} ` +
      `${'1MiB MB/s'.padStart(10)} ${'64MiB MB/s'.padStart(11)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)}`,
  );
  console.log(row('raw node:net echo', r.raw));
  console.log(row('@rpc/msg', r.msg));
  const q = r.ratios;
  console.log(
    `ratio @rpc/msg / raw: sequential ${q.sequential}, 100 in flight ${q.pipelined}, 1 MiB ${q.largeMB}, ` +
      `64 MiB ${q.hugeMB}, p50 ${q.rttP50}, p99 ${q.rttP99}`,
  );
  console.log(
    `Buffer.copy of 64 MiB in this process: ${r.copy.reusedMBPerSec} MB/s into a buffer used before, ` +
      `${r.copy.freshMBPerSec} MB/s into a new one (page faults included)`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: BENCH_OPTIONS });
  if (values.serve) return serve(values.serve as Contender);
  const options = { seconds: Number(values.seconds), rounds: Number(values.rounds) };
  const modes = values.modes.split(',') as CpuMode[];

  const script = new URL(import.meta.url).pathname;
  const servers = { raw: await forkServer(script, 'raw'), msg: await forkServer(script, 'msg') };
  try {
    const results = await inCpuModes(modes, async (mode) => {
      const result = await runRounds({ raw: servers.raw.port, msg: servers.msg.port }, options);
      report(mode, options, result);
      return result;
    });
    const each = (figure: (r: (typeof results)[CpuMode]) => number) =>
      Object.fromEntries(Object.entries(results).map(([mode, r]) => [mode, figure(r)]));
    const targets = printTargets('issue 13, @rpc/msg (ratios to the raw framed echo)', [
      {
        path: '64 MiB binary echoed, msg/raw',
        before: 'not measured',
        target: 0.8,
        measured: each((r) => r.ratios.hugeMB),
      },
      {
        path: 'framing cost: 32 B one at a time, msg/raw',
        before: '-',
        target: 0.9,
        measured: each((r) => r.ratios.sequential),
      },
      {
        path: 'framing cost: 32 B, 100 in flight, msg/raw',
        before: '-',
        target: 0.9,
        measured: each((r) => r.ratios.pipelined),
      },
    ]);
    console.log(JSON.stringify({ bench: 'msg', ...options, modes: results, targets }));
  } finally {
    servers.raw.kill();
    servers.msg.kill();
  }
}

await main();
