// pnpm bench:loops [--seconds S] [--rounds N] [--modes idle,awake]
// The small-call benchmark (Event::RPC get_data through @rpc/client and
// @rpc/server) on each Loop adapter: the Node loop, RxJS scheduling over
// Node's sockets, and WebSocket; sequential and with 100 in flight on one
// connection, each server in its own process, with idle CPUs and with them
// kept awake. Prints ratios to the Node adapter and a JSON line.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Client } from '@rpc/client';
import { Server } from '@rpc/server';
import {
  BENCH_OPTIONS,
  byMode,
  type CpuMode,
  forkServer,
  inCpuModes,
  printTargets,
  ratio,
  reportPort,
  roundRobin,
  type OpenBenchClient,
  type Summary,
} from '@rpc/testkit/bench';
import { adapters, type Adapter } from '../src/adapters.js';
import { perlContractClasses, type EventRpcTest } from '../src/test-classes.js';

const byName = new Map(adapters.map((adapter) => [adapter.name, adapter]));

async function serve(adapter: Adapter): Promise<void> {
  const server = new Server({
    host: '127.0.0.1',
    port: 0,
    classes: perlContractClasses(),
    logger: { log: () => undefined },
    loop: adapter.loop(),
  });
  await server.setupListeners();
  reportPort(server.port);
}

function opener(adapter: Adapter, port: number): OpenBenchClient {
  return async (onAnswer) => {
    const client = new Client({ host: '127.0.0.1', port, loop: adapter.loop() });
    await client.connect();
    const obj = await client.remoteClass<EventRpcTest, [string, string]>('Event_RPC_Test').new('data', 'bench');
    return { send: () => void obj.get_data().then(onAnswer), close: () => void client.close() };
  };
}

type Results = Record<string, Summary>;

function report(mode: CpuMode, options: { rounds: number; seconds: number }, results: Results) {
  const node = results.node as Summary;
  const ratios = Object.fromEntries(
    adapters.map((adapter) => {
      const r = results[adapter.name] as Summary;
      return [
        adapter.name,
        {
          sequential: ratio(r.sequentialPerSec, node.sequentialPerSec),
          pipelined: ratio(r.pipelinedPerSec, node.pipelinedPerSec),
          rttP50: ratio(r.rttP50Ms, node.rttP50Ms),
        },
      ];
    }),
  );
  console.log(
    `\n${mode} CPUs: small Event::RPC calls on one connection, per Loop adapter; median of ${options.rounds} rounds ` +
      `of ${options.seconds}s`,
  );
  const columns = (...cells: string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(10) : cell.padStart([12, 15, 9, 9, 13, 6][i - 1] ?? 9))).join(' ');
  console.log(columns('adapter', 'sequential/s', '100 in flight/s', 'p50 ms', 'p99 ms', 'vs node: seq', '100'));
  for (const adapter of adapters) {
    const r = results[adapter.name] as Summary;
    const q = ratios[adapter.name] as { sequential: number; pipelined: number };
    console.log(
      columns(
        adapter.name,
        String(r.sequentialPerSec),
        String(r.pipelinedPerSec),
        r.rttP50Ms.toFixed(3),
        r.rttP99Ms.toFixed(3),
        q.sequential.toFixed(3),
        q.pipelined.toFixed(3),
      ),
    );
  }
  return { results, ratios };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: BENCH_OPTIONS });
  if (values.serve) return serve(byName.get(values.serve) as Adapter);
  const options = { seconds: Number(values.seconds), rounds: Number(values.rounds) };
  const script = fileURLToPath(import.meta.url);
  const servers = new Map<string, { port: number; kill(): void }>();
  try {
    for (const adapter of adapters) servers.set(adapter.name, await forkServer(script, adapter.name));
    const names = adapters.map((adapter) => adapter.name);
    const open = (name: string) => opener(byName.get(name) as Adapter, servers.get(name)?.port as number);
    const modes = await inCpuModes(values.modes.split(',') as CpuMode[], async (mode) =>
      report(mode, options, await roundRobin(names, open, options)),
    );
    const targets = printTargets('issue 13 targets: ratios to the Node (TCP) adapter (same run)', [
      {
        path: 'WebSocket adapter, 100 in flight',
        before: '0.49',
        target: 0.7,
        measured: byMode(modes, (r) => (r.ratios.ws as { pipelined: number }).pipelined),
      },
    ]);
    console.log(JSON.stringify({ bench: 'loops', ...options, modes, targets }));
  } finally {
    for (const server of servers.values()) server.kill();
  }
}

await main();
