// pnpm bench:rpc [--seconds S] [--rounds N] [--perl-seconds S]
// Small remote calls (get_data on one object) through @rpc/client and
// @rpc/server, sequential and with 100 in flight on one connection, against
// the raw node:net echo and the @rpc/msg framed echo of a request-sized
// message in the same run; then the Perl Event::RPC client's calls per second
// against our server and against the Perl Event::RPC server. Every server
// runs in its own process. Prints a table, the ratios, and a JSON line.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Client } from '@rpc/client';
import { connect, MsgServer } from '@rpc/msg';
import { Server } from '@rpc/server';
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
import { startChildServer } from '../src/child-server.js';
import { perlContractClasses, type EventRpcTest } from '../src/test-classes.js';

type Contender = 'raw' | 'msg' | 'rpc';
const contenders: Contender[] = ['raw', 'msg', 'rpc'];
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
    if (kind === 'raw') {
      const raw = await rawClient(port, onAnswer);
      return { send: () => raw.send(payload), close: () => raw.close() };
    }
    if (kind === 'msg') {
      const conn = await connect({ host: '127.0.0.1', port }, (_conn, msg) => msg && onAnswer());
      return { send: () => conn.sendLater(payload), close: () => conn.destroy() };
    }
    const client = new Client({ host: '127.0.0.1', port });
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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '1.5' },
      rounds: { type: 'string', default: '3' },
      'perl-seconds': { type: 'string', default: '2' },
      serve: { type: 'string' },
    },
  });
  if (values.serve) return serve(values.serve as Contender);
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const perlSeconds = Number(values['perl-seconds']);

  const script = fileURLToPath(import.meta.url);
  const servers = Object.fromEntries(
    await Promise.all(contenders.map(async (kind) => [kind, await forkServer(script, kind)] as const)),
  ) as Record<Contender, { port: number; kill(): void }>;
  const perlServer = await startChildServer(
    'perl',
    [join(perlDir, 'server.pl'), '--port', '0', '--formats', 'CBOR,JSON'],
    perlDir,
  );

  const runs = Object.fromEntries(contenders.map((kind) => [kind, newRuns()])) as Record<Contender, Runs>;
  const perl = { ours: [] as number[], perl: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    // Rotate who goes first so that drift hits every contender alike.
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length] as Contender);
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
    const pair = round % 2 === 0 ? (['ours', 'perl'] as const) : (['perl', 'ours'] as const);
    for (const which of pair)
      perl[which].push(await perlCallsPerSec(which === 'ours' ? servers.rpc.port : perlServer.port, perlSeconds));
    process.stderr.write(`round ${round + 1}/${rounds} done\n`);
  }
  for (const { kill } of Object.values(servers)) kill();
  await perlServer.close();

  const [raw, msg, rpc] = contenders.map((kind) => summarize(runs[kind])) as [
    ReturnType<typeof summarize>,
    ReturnType<typeof summarize>,
    ReturnType<typeof summarize>,
  ];
  const perlClient = {
    againstOurServer: Math.round(median(perl.ours)),
    againstPerlServer: Math.round(median(perl.perl)),
  };
  const ratios = {
    sequentialVsRaw: ratio(rpc.sequentialPerSec, raw.sequentialPerSec),
    pipelinedVsRaw: ratio(rpc.pipelinedPerSec, raw.pipelinedPerSec),
    rttP99VsRaw: ratio(rpc.rttP99Ms, raw.rttP99Ms),
    sequentialVsMsg: ratio(rpc.sequentialPerSec, msg.sequentialPerSec),
    pipelinedVsMsg: ratio(rpc.pipelinedPerSec, msg.pipelinedPerSec),
    perlClientOursVsPerl: ratio(perlClient.againstOurServer, perlClient.againstPerlServer),
  };

  const row = (name: string, r: typeof raw) =>
    `${name.padEnd(30)} ${String(r.sequentialPerSec).padStart(12)} ${String(r.pipelinedPerSec).padStart(15)} ${r.rttP50Ms.toFixed(3).padStart(9)} ${r.rttP99Ms.toFixed(3).padStart(9)}`;
  console.log(
    `small calls on one connection (echo of ${payload.length} bytes as the baseline); median of ${rounds} rounds of ${seconds}s`,
  );
  console.log(
    `${'contender'.padEnd(30)} ${'sequential/s'.padStart(12)} ${'100 in flight/s'.padStart(15)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)}`,
  );
  console.log(row('raw node:net echo', raw));
  console.log(row('@rpc/msg framed echo', msg));
  console.log(row('@rpc/client -> @rpc/server', rpc));
  console.log(
    `Perl Event::RPC client (CBOR), sequential calls/s: against our server ${perlClient.againstOurServer}, against the Perl server ${perlClient.againstPerlServer}`,
  );
  console.log(
    `ratios: rpc/raw sequential ${ratios.sequentialVsRaw} (target >= 0.8), 100 in flight ${ratios.pipelinedVsRaw} (target >= 0.25), p99 ${ratios.rttP99VsRaw} (target <= 2); ` +
      `rpc/msg sequential ${ratios.sequentialVsMsg}, 100 in flight ${ratios.pipelinedVsMsg}; Perl client ours/Perl ${ratios.perlClientOursVsPerl} (target >= 1)`,
  );
  console.log(JSON.stringify({ bench: 'rpc', seconds, rounds, perlSeconds, raw, msg, rpc, perlClient, ratios }));
}

await main();
