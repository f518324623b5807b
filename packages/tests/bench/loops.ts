// pnpm bench:loops [--seconds S] [--rounds N]
// The small-call benchmark (Event::RPC get_data through @rpc/client and
// @rpc/server) on each Loop adapter: the Node loop, RxJS scheduling over
// Node's sockets, and WebSocket; sequential and with 100 in flight on one
// connection, each server in its own process. Prints ratios to the Node
// adapter and a JSON line.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Client } from '@rpc/client';
import { Server } from '@rpc/server';
import { forkServer, ratio, reportPort, roundRobin, type OpenBenchClient, type Summary } from '@rpc/testkit/bench';
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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '1.5' },
      rounds: { type: 'string', default: '3' },
      serve: { type: 'string' },
    },
  });
  if (values.serve) return serve(byName.get(values.serve) as Adapter);
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const script = fileURLToPath(import.meta.url);
  const servers = new Map<string, { port: number; kill(): void }>();
  for (const adapter of adapters) servers.set(adapter.name, await forkServer(script, adapter.name));
  const names = adapters.map((adapter) => adapter.name);
  const results = await roundRobin(
    names,
    (name) => opener(byName.get(name) as Adapter, servers.get(name)?.port as number),
    { rounds, seconds },
  );
  for (const server of servers.values()) server.kill();

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
  console.log(`small Event::RPC calls on one connection, per Loop adapter; median of ${rounds} rounds of ${seconds}s`);
  console.log(
    `${'adapter'.padEnd(10)} ${'sequential/s'.padStart(12)} ${'100 in flight/s'.padStart(15)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'vs node: seq'.padStart(13)} ${'100'.padStart(6)}`,
  );
  for (const adapter of adapters) {
    const r = results[adapter.name] as Summary;
    const q = ratios[adapter.name] as { sequential: number; pipelined: number };
    console.log(
      `${adapter.name.padEnd(10)} ${String(r.sequentialPerSec).padStart(12)} ${String(r.pipelinedPerSec).padStart(15)} ${r.rttP50Ms.toFixed(3).padStart(9)} ${r.rttP99Ms.toFixed(3).padStart(9)} ${q.sequential.toFixed(3).padStart(13)} ${q.pipelined.toFixed(3).padStart(6)}`,
    );
  }
  console.log(JSON.stringify({ bench: 'loops', seconds, rounds, results, ratios }));
}

await main();
