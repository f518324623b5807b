// pnpm bench:mprpc [--seconds S] [--rounds N] [--modes idle,awake] [--profile DIR]
// MessagePack-RPC calls (@rpc/mprpc client and server, `echo` of a small
// value) sequential and with 100 in flight on one connection, against the raw
// framed node:net echo of a request-sized message in the same run (writing at
// once; the coalescing raw client beside it). Each server runs in its own
// process; medians of the rounds, with idle CPUs and with the CPUs kept awake.
// Prints tables, the ratios, and a JSON line. With --profile DIR it only
// profiles @rpc/mprpc's client and server and prints their top frames.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { MprpcClient, MprpcServer } from '@rpc/mprpc';
import {
  BENCH_OPTIONS,
  byMode,
  coalescingRawClient,
  type CpuMode,
  forkServer,
  inCpuModes,
  printTargets,
  profileCalls,
  ratio,
  rawClient,
  rawEchoServer,
  reportPort,
  roundRobin,
  type OpenBenchClient,
  type Summary,
} from '@rpc/testkit/bench';

type Contender = 'raw' | 'coalescing' | 'mprpc';
interface EchoApi {
  echo(value: string): string;
}
const contenders: Contender[] = ['raw', 'coalescing', 'mprpc'];
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
    if (kind === 'raw' || kind === 'coalescing') {
      const raw = await (kind === 'raw' ? rawClient : coalescingRawClient)(port, onAnswer);
      return { send: () => raw.send(payload), close: () => raw.close() };
    }
    const client = await new MprpcClient<EchoApi>({ host: '127.0.0.1', port }).connect();
    return { send: () => void client.call('echo', 'hello').then(onAnswer), close: () => void client.close() };
  };
}

function report(mode: CpuMode, options: { rounds: number; seconds: number }, results: Record<Contender, Summary>) {
  const { raw, coalescing, mprpc } = results;
  const ratios = {
    sequential: ratio(mprpc.sequentialPerSec, raw.sequentialPerSec),
    pipelined: ratio(mprpc.pipelinedPerSec, raw.pipelinedPerSec),
    pipelinedVsCoalescingRaw: ratio(mprpc.pipelinedPerSec, coalescing.pipelinedPerSec),
    rttP50: ratio(mprpc.rttP50Ms, raw.rttP50Ms),
    rttP99: ratio(mprpc.rttP99Ms, raw.rttP99Ms),
  };
  const columns = (...cells: string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(34) : cell.padStart([12, 15, 9, 9][i - 1] ?? 9))).join(' ');
  const row = (name: string, r: Summary) =>
    columns(name, String(r.sequentialPerSec), String(r.pipelinedPerSec), r.rttP50Ms.toFixed(3), r.rttP99Ms.toFixed(3));
  console.log(
    `\n${mode} CPUs: MessagePack-RPC echo calls on one connection (raw framed echo of ${payload.length} bytes as the ` +
      `baseline); median of ${options.rounds} rounds of ${options.seconds}s`,
  );
  console.log(columns('contender', 'sequential/s', '100 in flight/s', 'p50 ms', 'p99 ms'));
  console.log(row('raw node:net echo (writes at once)', raw));
  console.log(row('raw node:net echo, coalescing', coalescing));
  console.log(row('@rpc/mprpc', mprpc));
  console.log(
    `ratio @rpc/mprpc / raw: sequential ${ratios.sequential}, 100 in flight ${ratios.pipelined}, ` +
      `p50 ${ratios.rttP50}, p99 ${ratios.rttP99}; / coalescing raw, 100 in flight ` +
      `${ratios.pipelinedVsCoalescingRaw}`,
  );
  return { ...results, ratios };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...BENCH_OPTIONS,
      profile: { type: 'string' },
    },
  });
  if (values.serve) return serve(values.serve as Contender);
  const script = fileURLToPath(import.meta.url);
  if (values.profile)
    return profileCalls(script, 'mprpc', (port) => opener('mprpc', port), values.profile, Number(values.seconds));
  const options = { seconds: Number(values.seconds), rounds: Number(values.rounds) };
  const servers = { raw: await forkServer(script, 'raw'), mprpc: await forkServer(script, 'mprpc') };
  const port = (kind: Contender): number => (kind === 'mprpc' ? servers.mprpc : servers.raw).port;
  try {
    const modes = await inCpuModes(values.modes.split(',') as CpuMode[], async (mode) =>
      report(mode, options, await roundRobin(contenders, (kind) => opener(kind, port(kind)), options)),
    );
    const targets = printTargets('issue 13 targets: ratios to the raw framed echo that writes at once (same run)', [
      {
        path: 'MprpcClient.call, one at a time',
        before: '0.72',
        target: 0.85,
        measured: byMode(modes, (r) => r.ratios.sequential),
      },
      {
        path: 'MprpcClient.call, 100 in flight',
        before: '0.22',
        target: 0.45,
        measured: byMode(modes, (r) => r.ratios.pipelined),
      },
    ]);
    console.log(JSON.stringify({ bench: 'mprpc', ...options, modes, targets }));
  } finally {
    servers.raw.kill();
    servers.mprpc.kill();
  }
}

await main();
