// pnpm bench:rpc [--seconds S] [--rounds N] [--perl-seconds S] [--large-rounds N] [--large-seconds S]
//   [--modes idle,awake] [--profile DIR]
// Small remote calls (get_data on one object) through @rpc/client and
// @rpc/server, sequential and with 100 in flight on one connection, against
// the raw node:net echo (writing each message at once; the coalescing raw
// client beside it) and the @rpc/msg framed echo of a request-sized message
// in the same run; then the Perl Event::RPC client's calls per second against
// our server and against the Perl Event::RPC server. Every server runs in its
// own process; contenders take turns; medians of the rounds; then 16 MiB
// arguments echoed back (large.ts; --large-rounds 0 leaves them out). All of it with
// idle CPUs and with the CPUs kept awake. Prints tables, ratios, a JSON line.
// With --profile DIR it only profiles @rpc's client and server and prints their top frames.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Client } from '@rpc/client';
import { connect, MsgServer } from '@rpc/msg';
import { Server } from '@rpc/server';
import {
  BENCH_OPTIONS,
  coalescingRawClient,
  type CpuMode,
  type ForkedServer,
  forkServer,
  byMode,
  inCpuModes,
  median,
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
import { type ChildServer, startChildServer } from '../src/child-server.js';
import { largeEcho, largeTargets, type LargeOptions, type LargeResult, reportLarge } from './large.js';
import { perlContractClasses, type EventRpcTest } from '../src/test-classes.js';

type Contender = 'raw' | 'coalescing' | 'msg' | 'rpc' | 'cbor';
const contenders: Contender[] = ['raw', 'coalescing', 'msg', 'rpc', 'cbor'];
/** The server each contender talks to: both raw clients use the raw echo, both formats the one server. */
const serverOf = (kind: Contender): 'raw' | 'msg' | 'rpc' =>
  kind === 'coalescing' ? 'raw' : kind === 'cbor' ? 'rpc' : kind;
const perlDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'perl', 'rpc');
/** About the size of a MessagePack exec request for get_data. */
const payload = Buffer.alloc(80, 7);

async function serve(kind: Contender): Promise<void> {
  if (kind === 'raw') return reportPort(((await rawEchoServer()).address() as { port: number }).port);
  if (kind === 'msg') {
    const server = await new MsgServer({
      host: '127.0.0.1',
      port: 0,
      login: () => (conn, msg) => msg && conn.sendLater(msg),
    }).start();
    return reportPort((server.address as { port: number }).port);
  }
  const server = new Server({
    host: '127.0.0.1',
    port: 0,
    classes: perlContractClasses(),
    logger: { log: () => undefined },
  });
  await server.setupListeners();
  reportPort(server.port);
}

function opener(kind: Contender, port: number): OpenBenchClient {
  return async (onAnswer) => {
    if (kind === 'raw' || kind === 'coalescing') {
      const raw = await (kind === 'raw' ? rawClient : coalescingRawClient)(port, onAnswer);
      return { send: () => raw.send(payload), close: () => raw.close() };
    }
    if (kind === 'msg') {
      const conn = await connect({ host: '127.0.0.1', port }, (_conn, msg) => msg && onAnswer());
      return { send: () => conn.sendLater(payload), close: () => conn.destroy() };
    }
    const client = new Client({ host: '127.0.0.1', port, messageFormats: [kind === 'cbor' ? 'CBOR' : 'MSGP'] });
    await client.connect();
    const obj = await client.remoteClass<EventRpcTest, [string, string]>('Event_RPC_Test').new('data', 'bench');
    return { send: () => void obj.get_data().then(onAnswer), close: () => void client.close() };
  };
}

async function perlCallsPerSec(port: number, seconds: number): Promise<number> {
  const { stdout } = await promisify(execFile)(
    'perl',
    [join(perlDir, 'bench-client.pl'), '--port', String(port), '--seconds', String(seconds)],
    {
      cwd: perlDir,
      timeout: (seconds + 30) * 1000,
    },
  );
  return (JSON.parse(stdout) as { callsPerSec: number }).callsPerSec;
}

/** Every contender in turn, then the Perl client against both servers, each round. */
async function runRounds(
  ports: Record<Contender, number>,
  perlServer: ChildServer,
  options: { rounds: number; seconds: number; perlSeconds: number },
) {
  const perl = { ours: [] as number[], perl: [] as number[] };
  const { raw, coalescing, msg, rpc, cbor } = await roundRobin(
    contenders,
    (kind) => opener(kind, ports[kind]),
    options,
    async (round) => {
      const pair = round % 2 === 0 ? (['ours', 'perl'] as const) : (['perl', 'ours'] as const);
      for (const which of pair) {
        const port = which === 'ours' ? ports.rpc : perlServer.port;
        const rate = await perlCallsPerSec(port, options.perlSeconds).catch((error: Error) => {
          throw new Error(
            `the Perl client against ${which} server failed; Perl server's stderr: ${perlServer.stderr()}`,
            {
              cause: error,
            },
          );
        });
        perl[which].push(rate);
      }
    },
  );
  const perlClient = {
    againstOurServer: Math.round(median(perl.ours)),
    againstPerlServer: Math.round(median(perl.perl)),
  };
  const ratios = {
    sequentialVsRaw: ratio(rpc.sequentialPerSec, raw.sequentialPerSec),
    cborSequentialVsRaw: ratio(cbor.sequentialPerSec, raw.sequentialPerSec),
    pipelinedVsRaw: ratio(rpc.pipelinedPerSec, raw.pipelinedPerSec),
    rttP99VsRaw: ratio(rpc.rttP99Ms, raw.rttP99Ms),
    pipelinedVsCoalescingRaw: ratio(rpc.pipelinedPerSec, coalescing.pipelinedPerSec),
    sequentialVsMsg: ratio(rpc.sequentialPerSec, msg.sequentialPerSec),
    pipelinedVsMsg: ratio(rpc.pipelinedPerSec, msg.pipelinedPerSec),
    perlClientOursVsPerl: ratio(perlClient.againstOurServer, perlClient.againstPerlServer),
  };
  return { raw, coalescing, msg, rpc, cbor, perlClient, ratios };
}

function report(mode: CpuMode, options: { rounds: number; seconds: number }, r: Awaited<ReturnType<typeof runRounds>>) {
  const row = (name: string, x: Summary) =>
    `${name.padEnd(32)} ${String(x.sequentialPerSec).padStart(12)} ${String(x.pipelinedPerSec).padStart(15)} ${x.rttP50Ms.toFixed(3).padStart(9)} ${x.rttP99Ms.toFixed(3).padStart(9)}`;
  console.log(
    `\n${mode} CPUs: small calls on one connection (echo of ${payload.length} bytes as the baseline); median of ${options.rounds} rounds of ${options.seconds}s`,
  );
  console.log(
    `${'contender'.padEnd(32)} ${'sequential/s'.padStart(12)} ${'100 in flight/s'.padStart(15)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)}`,
  );
  console.log(row('raw node:net echo (writes at once)', r.raw));
  console.log(row('raw node:net echo, coalescing', r.coalescing));
  console.log(row('@rpc/msg framed echo', r.msg));
  console.log(row('@rpc/client -> @rpc/server', r.rpc));
  console.log(row('the same in CBOR', r.cbor));
  console.log(
    `Perl Event::RPC client (CBOR), sequential calls/s: against our server ${r.perlClient.againstOurServer}, against the Perl server ${r.perlClient.againstPerlServer}`,
  );
  const q = r.ratios;
  console.log(
    `ratios: rpc/raw sequential ${q.sequentialVsRaw}, CBOR ${q.cborSequentialVsRaw}, 100 in flight ${q.pipelinedVsRaw}, p99 ${q.rttP99VsRaw}; ` +
      `rpc/coalescing raw 100 in flight ${q.pipelinedVsCoalescingRaw}; rpc/msg sequential ${q.sequentialVsMsg}, 100 in flight ${q.pipelinedVsMsg}; Perl client ours/Perl ${q.perlClientOursVsPerl}`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...BENCH_OPTIONS,
      profile: { type: 'string' },
      'perl-seconds': { type: 'string', default: '2' },
      'large-rounds': { type: 'string', default: '5' },
      'large-seconds': { type: 'string', default: '2' },
    },
  });
  if (values.serve) return serve(values.serve as Contender);
  const script = fileURLToPath(import.meta.url);
  if (values.profile)
    return profileCalls(script, 'rpc', (port) => opener('rpc', port), values.profile, Number(values.seconds));
  const options = {
    seconds: Number(values.seconds),
    rounds: Number(values.rounds),
    perlSeconds: Number(values['perl-seconds']),
  };
  const modes = values.modes.split(',') as CpuMode[];

  const kinds = [...new Set(contenders.map(serverOf))];
  const servers = Object.fromEntries(
    await Promise.all(kinds.map(async (kind) => [kind, await forkServer(script, kind)] as const)),
  ) as Record<ReturnType<typeof serverOf>, ForkedServer>;
  const ports = Object.fromEntries(contenders.map((kind) => [kind, servers[serverOf(kind)].port])) as Record<
    Contender,
    number
  >;
  const perlServer = await startChildServer(
    'perl',
    // Its default lifetime is 120 s, shorter than both modes with the large echoes; close() stops it.
    [join(perlDir, 'server.pl'), '--port', '0', '--formats', 'CBOR,JSON', '--lifetime', '3600'],
    perlDir,
  );
  try {
    const large: LargeOptions = { rounds: Number(values['large-rounds']), seconds: Number(values['large-seconds']) };
    const results = await inCpuModes(modes, async (mode) => {
      const result = await runRounds(ports, perlServer, options);
      report(mode, options, result);
      if (large.rounds === 0) return { ...result, large: undefined };
      const echoed = await largeEcho(large);
      reportLarge(mode, large, echoed);
      return { ...result, large: echoed };
    });
    const targets = printTargets(`issue 13 targets: ratios to the raw framed echo that writes at once (same run)`, [
      {
        path: 'Event::RPC, MessagePack, one call at a time',
        before: '0.59',
        target: 0.8,
        measured: byMode(results, (r) => r.ratios.sequentialVsRaw),
      },
      {
        path: 'Event::RPC, CBOR, one call at a time',
        before: '0.63',
        target: 0.75,
        measured: byMode(results, (r) => r.ratios.cborSequentialVsRaw),
      },
      {
        path: 'Event::RPC, 100 calls in flight',
        before: '0.16',
        target: 0.35,
        measured: byMode(results, (r) => r.ratios.pipelinedVsRaw),
      },
    ]);
    const largeResults = Object.fromEntries(
      Object.entries(results).flatMap(([mode, r]) => (r.large === undefined ? [] : [[mode, r.large]])),
    ) as Partial<Record<CpuMode, LargeResult>>;
    if (large.rounds > 0) targets.push(...largeTargets(largeResults));
    console.log(JSON.stringify({ bench: 'rpc', ...options, large, modes: results, targets }));
  } finally {
    for (const { kill } of Object.values(servers)) kill();
    await perlServer.close();
  }
}

await main();
