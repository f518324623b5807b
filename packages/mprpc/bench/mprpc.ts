// pnpm bench:mprpc [--seconds S] [--rounds N]
// MessagePack-RPC calls (@rpc/mprpc client and server, `echo` of a small
// value) sequential and with 100 in flight on one connection, against the raw
// framed node:net echo of a request-sized message in the same run. Each server
// runs in its own process. Prints a table, the ratios, and a JSON line.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { MprpcClient, MprpcServer } from '@rpc/mprpc';
import {
  forkServer,
  measure,
  newRuns,
  ratio,
  rawClient,
  rawEchoServer,
  reportPort,
  summarize,
  type OpenBenchClient,
} from '@rpc/testkit/bench';

type Contender = 'raw' | 'mprpc';
interface EchoApi {
  echo(value: string): string;
}
const _contenders: Contender[] = ['raw', 'mprpc'];
/** About the size of [0, msgid, "echo", ["hello"]]. */
const payload = Buffer.alloc(20, 7);

async function serve(kind: Contender): Promise<void> {
  if (kind === 'raw') return reportPort(((await rawEchoServer()).address() as { port: number }).port);
  const server = await new MprpcServer<EchoApi>({ port: 0, host: '127.0.0.1' })
    .regCb({ echo: (res, value) => res?.result(value) })
    .start();
  reportPort((server.address as { port: number }).port);
}

function opener(kind: Contender, port: number): OpenBenchClient {
  return async (onAnswer) => {
    if (kind === 'raw') {
      const raw = await rawClient(port, onAnswer);
      return { send: () => raw.send(payload), close: () => raw.close() };
    }
    const client = await new MprpcClient<EchoApi>({ host: '127.0.0.1', port }).connect();
    return { send: () => void client.call('echo', 'hello').then(onAnswer), close: () => void client.close() };
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
  const script = fileURLToPath(import.meta.url);
  const servers = { raw: await forkServer(script, 'raw'), mprpc: await forkServer(script, 'mprpc') };
  const runs = { raw: newRuns(), mprpc: newRuns() };
  for (let round = 0; round < rounds; round++) {
    const order: Contender[] = round % 2 === 0 ? ['raw', 'mprpc'] : ['mprpc', 'raw'];
    for (const [scenario, window] of [
      ['sequential', 1],
      ['pipelined', 100],
    ] as const) {
      for (const kind of order) {
        const { rate, rtts } = await measure(opener(kind, servers[kind].port), window, seconds);
        runs[kind][scenario].push(rate);
        runs[kind].rtts.push(...rtts);
      }
    }
    process.stderr.write(`round ${round + 1}/${rounds} done\n`);
  }
  servers.raw.kill();
  servers.mprpc.kill();

  const [raw, mprpc] = [summarize(runs.raw), summarize(runs.mprpc)];
  const ratios = {
    sequential: ratio(mprpc.sequentialPerSec, raw.sequentialPerSec),
    pipelined: ratio(mprpc.pipelinedPerSec, raw.pipelinedPerSec),
    rttP50: ratio(mprpc.rttP50Ms, raw.rttP50Ms),
    rttP99: ratio(mprpc.rttP99Ms, raw.rttP99Ms),
  };
  const columns = (...cells: string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(26) : cell.padStart([12, 15, 9, 9][i - 1] ?? 9))).join(' ');
  const row = (name: string, r: typeof raw) =>
    columns(name, String(r.sequentialPerSec), String(r.pipelinedPerSec), r.rttP50Ms.toFixed(3), r.rttP99Ms.toFixed(3));
  console.log(
    `MessagePack-RPC echo calls on one connection (raw framed echo of ${payload.length} bytes as the baseline); ` +
      `median of ${rounds} rounds of ${seconds}s`,
  );
  console.log(columns('contender', 'sequential/s', '100 in flight/s', 'p50 ms', 'p99 ms'));
  console.log(row('raw node:net framed echo', raw));
  console.log(row('@rpc/mprpc', mprpc));
  console.log(
    `ratio @rpc/mprpc / raw: sequential ${ratios.sequential}, 100 in flight ${ratios.pipelined}, ` +
      `p50 ${ratios.rttP50}, p99 ${ratios.rttP99}`,
  );
  console.log(JSON.stringify({ bench: 'mprpc', seconds, rounds, raw, mprpc, ratios }));
}

await main();
