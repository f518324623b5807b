// pnpm bench:msg [--seconds S] [--rounds N]
// Framed echo (@rpc/msg client and server) against a raw node:net echo that
// writes all frames of one turn at once, on one loopback connection, with the
// server in its own process. Prints a table, the ratios, and a JSON line.
import { parseArgs } from 'node:util';
import { connect, MsgServer } from '@rpc/msg';
import {
  forkServer,
  measure,
  median,
  newRuns,
  ratio,
  rawClient,
  rawEchoServer,
  reportPort,
  summarize,
  type OpenBenchClient,
  type Runs,
} from '@rpc/testkit/bench';

type Contender = 'raw' | 'msg';

async function serve(kind: Contender): Promise<void> {
  if (kind === 'raw') return reportPort(((await rawEchoServer()).address() as { port: number }).port);
  const server = await new MsgServer({
    host: '127.0.0.1',
    port: 0,
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
    const conn = await connect({ host: '127.0.0.1', port }, (_conn, msg) => msg && onAnswer());
    return { send: () => conn.sendLater(payload), close: () => conn.destroy() };
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '1.5' },
      rounds: { type: 'string', default: '3' },
      serve: { type: 'string' },
    },
  });
  if (values.serve) return serve(values.serve as Contender);
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
  const results: Record<Contender, Runs & { large: number[] }> = {
    raw: { ...newRuns(), large: [] },
    msg: { ...newRuns(), large: [] },
  };

  const script = new URL(import.meta.url).pathname;
  const servers = { raw: await forkServer(script, 'raw'), msg: await forkServer(script, 'msg') };
  for (let round = 0; round < rounds; round++) {
    for (const scenario of Object.keys(scenarios) as Scenario[]) {
      // Alternate who goes first so that drift hits both alike.
      const order: Contender[] = round % 2 === 0 ? ['raw', 'msg'] : ['msg', 'raw'];
      for (const kind of order) {
        const { payload, window } = scenarios[scenario];
        const { rate, rtts } = await measure(opener(kind, servers[kind].port, payload), window, seconds);
        results[kind][scenario].push(rate);
        results[kind].rtts.push(...rtts);
      }
    }
    process.stderr.write(`round ${round + 1}/${rounds} done\n`);
  }
  servers.raw.kill();
  servers.msg.kill();

  const summary = (kind: Contender) => ({
    ...summarize(results[kind]),
    largeMBPerSec: Math.round(median(results[kind].large) * (large.length / 1e6)),
  });
  const raw = summary('raw');
  const msg = summary('msg');
  const ratios = {
    sequential: ratio(msg.sequentialPerSec, raw.sequentialPerSec),
    pipelined: ratio(msg.pipelinedPerSec, raw.pipelinedPerSec),
    largeMB: ratio(msg.largeMBPerSec, raw.largeMBPerSec),
    rttP50: ratio(msg.rttP50Ms, raw.rttP50Ms),
    rttP99: ratio(msg.rttP99Ms, raw.rttP99Ms),
  };

  const row = (name: string, r: typeof raw) =>
    `${name.padEnd(22)} ${String(r.sequentialPerSec).padStart(12)} ${String(r.pipelinedPerSec).padStart(14)} ${String(r.largeMBPerSec).padStart(10)} ${r.rttP50Ms.toFixed(3).padStart(9)} ${r.rttP99Ms.toFixed(3).padStart(9)}`;
  console.log(
    `framed echo, one connection, 32-byte messages (100 in flight for pipelined), 1 MiB messages (4 in flight); median of ${rounds} rounds of ${seconds}s`,
  );
  console.log(
    `${'contender'.padEnd(22)} ${'sequential/s'.padStart(12)} ${'100 in flight/s'.padStart(14)} ${'1MiB MB/s'.padStart(10)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)}`,
  );
  console.log(row('raw node:net echo', raw));
  console.log(row('@rpc/msg', msg));
  console.log(
    `ratio @rpc/msg / raw: sequential ${ratios.sequential}, 100 in flight ${ratios.pipelined}, 1 MiB ${ratios.largeMB}, p50 ${ratios.rttP50}, p99 ${ratios.rttP99} (framing cost target: under 10%)`,
  );
  console.log(JSON.stringify({ bench: 'msg', seconds, rounds, raw, msg, ratios }));
}

await main();
