// pnpm bench:pipeline [--seconds S] [--rounds N] [--modes idle,awake]
// Promise pipelining between @rpc peers: a chain of 3 dependent calls on a Feed (copy, copy, write: the first two
// return objects, the last a string), sent pipelined (each call names the one before it, so the chain takes one
// round trip) and awaited one by one (three round trips); one chain at a time and 100 chains in flight on one
// connection; over TCP (the Node loop) and WebSocket, each server in its own process; the raw node:net echo of a
// request-sized frame in the same run, as the round trip that puts a chain's latency in proportion. With idle CPUs
// and with them kept awake. Prints a table, ratios and a JSON line.
// Round trips cannot be counted from outside the client, so the protocol's figure is stated (pipelined 1, awaited 3:
// 2 saved per chain) and the measured latency ratio awaited/pipelined is reported beside it.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Client, type RemoteClass } from '@rpc/client';
import { Server } from '@rpc/server';
import {
  BENCH_OPTIONS,
  byMode,
  type CpuMode,
  type ForkedServer,
  forkServer,
  inCpuModes,
  ratio,
  rawClient,
  rawEchoServer,
  reportPort,
  roundRobin,
  type OpenBenchClient,
  type Summary,
} from '@rpc/testkit/bench';
import { adapters, type Adapter } from '../src/adapters.js';
import { feed } from '../src/capability-classes.js';

type Transport = 'node' | 'ws';
type Variant = 'pipelined' | 'awaited';
type Contender = 'raw' | `${Transport}-${Variant}`;
const transports: readonly Transport[] = ['node', 'ws'];
const variants: readonly Variant[] = ['pipelined', 'awaited'];
const contenders: Contender[] = ['raw', ...transports.flatMap((t) => variants.map((v) => `${t}-${v}` as const))];
const transportNames: Record<Transport, string> = { node: 'TCP (Node loop)', ws: 'WebSocket' };
const byName = new Map(adapters.map((adapter) => [adapter.name, adapter]));
/** Calls per chain, and the round trips each variant takes for them (the protocol's figures). */
const CALLS_PER_CHAIN = 3;
const ROUND_TRIPS = { pipelined: 1, awaited: 3 } as const;
/** About the size of a MessagePack exec request, as bench:rpc echoes. */
const payload = Buffer.alloc(80, 7);

type FeedProxy = Awaited<ReturnType<RemoteClass<typeof feed>['new']>>;

// Both variants release the two intermediate feeds once the chain has answered (client_destroy, not waited for), so
// they do the same work and the server's objects per connection stay far below its maxObjects (10,000 by default).
// Left to the client's FinalizationRegistry, the pipelined intermediates are released only when a major GC collects
// their proxies: in a loop of chains that was too late, the connection reaching the 10,000 objects after 5,000.

/** copy, copy and write sent at once: the last two name the call before them and run on its result. */
async function pipelinedChain(f: FeedProxy): Promise<string> {
  const a = f.copy('x');
  const b = a.copy('y');
  const text = await b.write('z');
  using _a = await a; // answered before write: no more waiting
  using _b = await b;
  return text;
}

/** The same calls, each sent once the one before it has answered. */
async function awaitedChain(f: FeedProxy): Promise<string> {
  using a = await f.copy('x');
  using b = await a.copy('y');
  return await b.write('z');
}

async function serve(kind: 'raw' | Transport): Promise<void> {
  process.once('disconnect', () => process.exit(0)); // the benchmark is gone, however it ended
  if (kind === 'raw') return reportPort(((await rawEchoServer()).address() as { port: number }).port);
  const server = new Server({
    host: '127.0.0.1',
    port: 0,
    classes: { Feed: feed },
    logger: { log: () => undefined },
    loop: (byName.get(kind) as Adapter).loop(),
  });
  await server.setupListeners();
  reportPort(server.port);
}

function opener(kind: Contender, ports: Record<'raw' | Transport, number>): OpenBenchClient {
  return async (onAnswer) => {
    if (kind === 'raw') {
      const raw = await rawClient(ports.raw, onAnswer);
      return { send: () => raw.send(payload), close: () => raw.close() };
    }
    const [transport, variant] = kind.split('-') as [Transport, Variant];
    const client = new Client({
      host: '127.0.0.1',
      port: ports[transport],
      loop: (byName.get(transport) as Adapter).loop(),
    });
    await client.connect();
    const f = await client.remoteClass<typeof feed>('Feed').new('a');
    const chain = variant === 'pipelined' ? pipelinedChain : awaitedChain;
    if ((await chain(f)) !== 'axyz') throw new Error(`${kind}: the chain answered wrongly`);
    return { send: () => void chain(f).then(onAnswer), close: () => void client.close() };
  };
}

interface TransportFigures {
  /** Chains per second one at a time and with 100 in flight, and the calls in them, per variant. */
  readonly chainsPerSec: Record<Variant, number>;
  readonly callsPerSec: Record<Variant, number>;
  readonly chainsInFlightPerSec: Record<Variant, number>;
  readonly callsInFlightPerSec: Record<Variant, number>;
  /** Median latency of one chain, and the ratio awaited/pipelined (one chain at a time). */
  readonly chainP50Ms: Record<Variant, number>;
  readonly latencyAwaitedVsPipelined: number;
  /** Pipelined chains/s over awaited ones: one at a time, and with 100 in flight. */
  readonly pipelinedVsAwaited: number;
  readonly pipelinedVsAwaitedInFlight: number;
  /** A chain's median latency in raw round trips (the raw echo's median). */
  readonly chainInRawRoundTrips: Record<Variant, number>;
}

function figures(results: Record<Contender, Summary>, transport: Transport): TransportFigures {
  const p = results[`${transport}-pipelined`];
  const a = results[`${transport}-awaited`];
  const raw = results.raw;
  const perVariant = (figure: (s: Summary) => number): Record<Variant, number> => ({
    pipelined: figure(p),
    awaited: figure(a),
  });
  return {
    chainsPerSec: perVariant((s) => s.sequentialPerSec),
    callsPerSec: perVariant((s) => s.sequentialPerSec * CALLS_PER_CHAIN),
    chainsInFlightPerSec: perVariant((s) => s.pipelinedPerSec),
    callsInFlightPerSec: perVariant((s) => s.pipelinedPerSec * CALLS_PER_CHAIN),
    chainP50Ms: perVariant((s) => s.rttP50Ms),
    latencyAwaitedVsPipelined: ratio(a.rttP50Ms, p.rttP50Ms),
    pipelinedVsAwaited: ratio(p.sequentialPerSec, a.sequentialPerSec),
    pipelinedVsAwaitedInFlight: ratio(p.pipelinedPerSec, a.pipelinedPerSec),
    chainInRawRoundTrips: perVariant((s) => ratio(s.rttP50Ms, raw.rttP50Ms)),
  };
}

function report(mode: CpuMode, options: { rounds: number; seconds: number }, results: Record<Contender, Summary>) {
  const transportsFigures = Object.fromEntries(transports.map((t) => [t, figures(results, t)])) as Record<
    Transport,
    TransportFigures
  >;
  console.log(
    `\n${mode} CPUs: a chain of ${CALLS_PER_CHAIN} dependent calls (copy, copy, write) on one connection; ` +
      `median of ${options.rounds} rounds of ${options.seconds}s`,
  );
  const widths = [9, 9, 12, 12, 8, 8, 8];
  const columns = (...cells: string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(27) : cell.padStart(widths[i - 1] ?? 9))).join(' ');
  console.log(
    columns('contender', 'chains/s', 'calls/s', '100 chains/s', '100 calls/s', 'p50 ms', 'p99 ms', 'p50/raw'),
  );
  const raw = results.raw;
  console.log(
    columns(
      'raw node:net echo (80 B)',
      '-',
      String(raw.sequentialPerSec),
      '-',
      String(raw.pipelinedPerSec),
      raw.rttP50Ms.toFixed(3),
      raw.rttP99Ms.toFixed(3),
      '1',
    ),
  );
  for (const transport of transports) {
    const f = transportsFigures[transport];
    for (const variant of variants) {
      const r = results[`${transport}-${variant}`];
      console.log(
        columns(
          `${transportNames[transport]}, ${variant}`,
          String(r.sequentialPerSec),
          String(f.callsPerSec[variant]),
          String(r.pipelinedPerSec),
          String(f.callsInFlightPerSec[variant]),
          r.rttP50Ms.toFixed(3),
          r.rttP99Ms.toFixed(3),
          f.chainInRawRoundTrips[variant].toFixed(2),
        ),
      );
    }
  }
  console.log(
    "(one chain at a time, or 100 in flight; calls/s = 3 x chains/s, the raw echo's are echoes/s; " +
      'p50/p99: the latency of one chain, or one echo, at a time; p50/raw: the p50 in raw round trips)',
  );
  for (const transport of transports) {
    const f = transportsFigures[transport];
    console.log(
      `${transportNames[transport]}: round trips per chain pipelined ${ROUND_TRIPS.pipelined}, awaited ` +
        `${ROUND_TRIPS.awaited} (round trips saved = 2 per chain); latency awaited/pipelined ` +
        `${f.latencyAwaitedVsPipelined}; chains/s pipelined/awaited ${f.pipelinedVsAwaited}, 100 in flight ` +
        `${f.pipelinedVsAwaitedInFlight}`,
    );
  }
  return { results, transports: transportsFigures };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: BENCH_OPTIONS });
  if (values.serve) return serve(values.serve as 'raw' | Transport);
  const options = { seconds: Number(values.seconds), rounds: Number(values.rounds) };
  const script = fileURLToPath(import.meta.url);
  const servers: ForkedServer[] = [];
  try {
    const ports = { raw: 0, node: 0, ws: 0 };
    for (const kind of ['raw', ...transports] as const) {
      const server = await forkServer(script, kind);
      servers.push(server);
      ports[kind] = server.port;
    }
    const modes = await inCpuModes(values.modes.split(',') as CpuMode[], async (mode) =>
      report(mode, options, await roundRobin(contenders, (kind) => opener(kind, ports), options)),
    );
    console.log('\nby CPU mode (idle / awake)');
    for (const transport of transports) {
      const pair = (figure: (f: TransportFigures) => number): string => {
        const m = byMode(modes, (r) => figure(r.transports[transport]));
        return `${m.idle ?? '-'} / ${m.awake ?? '-'}`;
      };
      console.log(
        `${transportNames[transport].padEnd(16)} latency awaited/pipelined ` +
          `${pair((f) => f.latencyAwaitedVsPipelined)}` +
          `; pipelined chain in raw RTTs ${pair((f) => f.chainInRawRoundTrips.pipelined)}` +
          `, awaited ${pair((f) => f.chainInRawRoundTrips.awaited)}`,
      );
    }
    console.log(
      JSON.stringify({
        bench: 'pipeline',
        ...options,
        callsPerChain: CALLS_PER_CHAIN,
        roundTripsPerChain: ROUND_TRIPS,
        roundTripsSavedPerChain: ROUND_TRIPS.awaited - ROUND_TRIPS.pipelined,
        modes,
      }),
    );
  } finally {
    for (const server of servers) server.kill();
  }
}

await main();
