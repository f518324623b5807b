// pnpm bench:msg [--seconds S] [--rounds N]
// Framed echo (@rpc/msg client and server) against a raw node:net echo that
// writes all frames of one turn at once, on one loopback connection, with the
// server in its own process. Prints a table, the ratios, and a JSON line.
import { fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import { connect, newServer } from '@rpc/msg';
import { rawClient, rawEchoServer } from './raw-echo.js';

type Contender = 'raw' | 'msg';

interface Client {
  /** Sends one message; each answer calls the callback given at creation. */
  send(payload: Buffer): void;
  close(): void;
}

async function startServer(kind: Contender): Promise<number> {
  if (kind === 'raw') return ((await rawEchoServer()).address() as { port: number }).port;
  const server = await newServer({ host: '127.0.0.1', port: 0 }, () => (conn, msg) => msg && conn.sendLater(msg));
  return (server.address as { port: number }).port;
}

async function openClient(kind: Contender, port: number, onAnswer: () => void): Promise<Client> {
  if (kind === 'raw') return rawClient(port, onAnswer);
  const conn = await connect({ host: '127.0.0.1', port }, (_conn, msg) => msg && onAnswer());
  return { send: (payload) => conn.sendLater(payload), close: () => conn.destroy() };
}

/** Keeps `window` messages in flight for `seconds`; returns answers per second and, when window is 1, round-trip times (ms). */
async function measure(kind: Contender, port: number, payload: Buffer, window: number, seconds: number): Promise<{ rate: number; rtts: number[] }> {
  const rtts: number[] = [];
  let answered = 0;
  let sent = 0;
  let sentAt = 0n;
  let stopping = false;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const start = process.hrtime.bigint();
  const stopAt = start + BigInt(Math.round(seconds * 1e9));
  const client = await openClient(kind, port, () => {
    answered++;
    // Same work per answer for every contender; the clock is read once per 1024 answers when pipelined.
    if (window === 1 || (answered & 1023) === 0) {
      const now = process.hrtime.bigint();
      if (window === 1) rtts.push(Number(now - sentAt) / 1e6);
      if (now >= stopAt) stopping = true;
      sentAt = now;
    }
    if (!stopping) {
      sent++;
      client.send(payload);
    } else if (answered === sent) finish();
  });
  for (; sent < window; sent++) client.send(payload);
  sentAt = process.hrtime.bigint();
  await done;
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  client.close();
  return { rate: answered / elapsed, rtts };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '1.5' }, rounds: { type: 'string', default: '3' }, serve: { type: 'string' } } });
  if (values.serve) {
    const port = await startServer(values.serve as Contender);
    process.send?.({ port });
    return;
  }
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const small = Buffer.alloc(32, 7);
  const large = Buffer.alloc(1024 * 1024, 7);
  const scenarios = {
    sequential: { payload: small, window: 1 },
    pipelined: { payload: small, window: 100 },
    large: { payload: large, window: 4 },
  } as const;
  type Scenario = keyof typeof scenarios;
  const results: Record<Contender, Record<Scenario, number[]> & { rtts: number[] }> = {
    raw: { sequential: [], pipelined: [], large: [], rtts: [] },
    msg: { sequential: [], pipelined: [], large: [], rtts: [] },
  };

  const servers = new Map<Contender, { port: number; kill(): void }>();
  for (const kind of ['raw', 'msg'] as const) {
    const child = fork(new URL(import.meta.url).pathname, ['--serve', kind], { execArgv: process.execArgv });
    const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
    servers.set(kind, { port, kill: () => child.kill() });
  }

  for (let round = 0; round < rounds; round++) {
    for (const scenario of Object.keys(scenarios) as Scenario[]) {
      // Alternate who goes first so that drift hits both alike.
      const order: Contender[] = round % 2 === 0 ? ['raw', 'msg'] : ['msg', 'raw'];
      for (const kind of order) {
        const { payload, window } = scenarios[scenario];
        const { rate, rtts } = await measure(kind, servers.get(kind)!.port, payload, window, seconds);
        results[kind][scenario].push(rate);
        results[kind].rtts.push(...rtts);
      }
    }
    process.stderr.write(`round ${round + 1}/${rounds} done\n`);
  }
  for (const { kill } of servers.values()) kill();

  const summary = (kind: Contender) => {
    const rtts = results[kind].rtts.sort((a, b) => a - b);
    return {
      sequentialPerSec: Math.round(median(results[kind].sequential)),
      pipelinedPerSec: Math.round(median(results[kind].pipelined)),
      largeMBPerSec: Math.round(median(results[kind].large) * (large.length / 1e6)),
      rttP50Ms: Number(percentile(rtts, 50).toFixed(4)),
      rttP99Ms: Number(percentile(rtts, 99).toFixed(4)),
    };
  };
  const raw = summary('raw');
  const msg = summary('msg');
  const ratios = {
    sequential: Number((msg.sequentialPerSec / raw.sequentialPerSec).toFixed(3)),
    pipelined: Number((msg.pipelinedPerSec / raw.pipelinedPerSec).toFixed(3)),
    largeMB: Number((msg.largeMBPerSec / raw.largeMBPerSec).toFixed(3)),
    rttP50: Number((msg.rttP50Ms / raw.rttP50Ms).toFixed(3)),
    rttP99: Number((msg.rttP99Ms / raw.rttP99Ms).toFixed(3)),
  };

  const row = (name: string, r: typeof raw) =>
    `${name.padEnd(22)} ${String(r.sequentialPerSec).padStart(12)} ${String(r.pipelinedPerSec).padStart(14)} ${String(r.largeMBPerSec).padStart(10)} ${r.rttP50Ms.toFixed(3).padStart(9)} ${r.rttP99Ms.toFixed(3).padStart(9)}`;
  console.log(`framed echo, one connection, 32-byte messages (100 in flight for pipelined), 1 MiB messages (4 in flight); median of ${rounds} rounds of ${seconds}s`);
  console.log(`${'contender'.padEnd(22)} ${'sequential/s'.padStart(12)} ${'100 in flight/s'.padStart(14)} ${'1MiB MB/s'.padStart(10)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)}`);
  console.log(row('raw node:net echo', raw));
  console.log(row('@rpc/msg', msg));
  console.log(
    `ratio @rpc/msg / raw: sequential ${ratios.sequential}, 100 in flight ${ratios.pipelined}, 1 MiB ${ratios.largeMB}, p50 ${ratios.rttP50}, p99 ${ratios.rttP99} (framing cost target: under 10%)`,
  );
  console.log(JSON.stringify({ bench: 'msg', seconds, rounds, raw, msg, ratios }));
}

await main();
