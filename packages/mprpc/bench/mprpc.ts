// pnpm bench:mprpc [--seconds S] [--rounds N]
// MessagePack-RPC calls (@rpc/mprpc client and server, `echo` of a small
// value) sequential and with 100 in flight on one connection, against the raw
// framed node:net echo of a request-sized message in the same run. Each server
// runs in its own process. Prints a table, the ratios, and a JSON line.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { MprpcClient, MprpcServer } from '@rpc/mprpc';
import { forkServer, measure, newRuns, ratio, rawClient, rawEchoServer, reportPort, summarize, type OpenBenchClient } from '@rpc/testkit/bench';

type Contender = 'raw' | 'mprpc';
const contenders: Contender[] = ['raw', 'mprpc'];
/** About the size of [0, msgid, "echo", ["hello"]]. */
const payload = Buffer.alloc(20, 7);

async function serve(kind: Contender): Promise<void> {
  if (kind === 'raw') return reportPort(((await rawEchoServer()).address() as { port: number }).port);
  const server = new MprpcServer({ port: 0, address: '127.0.0.1' }).regCb({ echo: (res, value) => res?.result(value) });
  reportPort(((await server.ready) as { port: number }).port);
}

function opener(kind: Contender, port: number): OpenBenchClient {
  return async (onAnswer) => {
    if (kind === 'raw') {
      const raw = await rawClient(port, onAnswer);
      return { send: () => raw.send(payload), close: () => raw.close() };
    }
    const client = new MprpcClient({ host: '127.0.0.1', port });
    const peer = await client.connect();
    const params = ['hello'];
    return { send: () => void peer.call('echo', params).then(onAnswer), close: () => void client.close() };
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '1.5' }, rounds: { type: 'string', default: '3' }, serve: { type: 'string' } } });
  if (values.serve) return serve(values.serve as Contender);
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const script = fileURLToPath(import.meta.url);
  const servers = { raw: await forkServer(script, 'raw'), mprpc: await forkServer(script, 'mprpc') };
  const runs = { raw: newRuns(), mprpc: newRuns() };
  for (let round = 0; round < rounds; round++) {
    const order: Contender[] = round % 2 === 0 ? ['raw', 'mprpc'] : ['mprpc', 'raw'];
    for (const [scenario, window] of [['sequential', 1], ['pipelined', 100]] as const) {
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
  const row = (name: string, r: typeof raw) =>
    `${name.padEnd(26)} ${String(r.sequentialPerSec).padStart(12)} ${String(r.pipelinedPerSec).padStart(15)} ${r.rttP50Ms.toFixed(3).padStart(9)} ${r.rttP99Ms.toFixed(3).padStart(9)}`;
  console.log(`MessagePack-RPC echo calls on one connection (raw framed echo of ${payload.length} bytes as the baseline); median of ${rounds} rounds of ${seconds}s`);
  console.log(`${'contender'.padEnd(26)} ${'sequential/s'.padStart(12)} ${'100 in flight/s'.padStart(15)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)}`);
  console.log(row('raw node:net framed echo', raw));
  console.log(row('@rpc/mprpc', mprpc));
  console.log(`ratio @rpc/mprpc / raw: sequential ${ratios.sequential}, 100 in flight ${ratios.pipelined}, p50 ${ratios.rttP50}, p99 ${ratios.rttP99}`);
  console.log(JSON.stringify({ bench: 'mprpc', seconds, rounds, raw, mprpc, ratios }));
}

await main();
