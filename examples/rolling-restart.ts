// A rolling restart without lost calls: on SIGTERM the server drains (stops accepting, tells @rpc clients to go,
// lets calls in flight finish, closes); a client with `reconnect` moves to the next server on the same address (in
// production, the balancer's) and is told which objects it lost, so that it can make them anew.
//
// Run: npx tsx rolling-restart.ts
import { Client } from '@rpc/client';
import { Server } from '@rpc/server';

class Counter {
  #n = 0;
  static new(): Counter {
    return new Counter();
  }
  add(): number {
    return ++this.#n;
  }
  async slowly(ms: number): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return `finished after ${ms} ms`;
  }
}
const classes = { Counter: { impl: Counter, methods: { new: '_constructor', add: 1, slowly: 1 } } } as const;

const first = await new Server({ host: '127.0.0.1', port: 0, classes }).start();
const port = first.port;
process.once('SIGTERM', () => void first.drain(10_000)); // what a process manager sends before it stops a server

await using client = await new Client({ host: '127.0.0.1', port, reconnect: true }).connect();
client.on('goaway', (reason) => console.log(`told to go: ${reason}`));
client.on('lost', (oids) => console.log(`lost ${oids.length} object(s) with the old server`));
const Counters = client.remoteClass<Counter>('Counter');

const counter = await Counters.new();
console.log(`count ${await counter.add()}, ${await counter.add()}`);
const inFlight = counter.slowly(200);
process.kill(process.pid, 'SIGTERM');
console.log(await inFlight); // a call in flight finishes on the draining server
await first.done;

await using second = await new Server({ host: '127.0.0.1', port, classes }).start();
const fresh = await Counters.new(); // made while the client reconnects: it waits for the new connection
console.log(`new counter on port ${second.port === port ? 'the same' : 'another'} port: ${await fresh.add()}`);
await counter.add().catch((error: { code: string }) => console.log(`the old counter: ${error.code}`));
await client.close(); // before the second server stops, which would tell it to go too

// Output:
// count 1, 2
// told to go: the server is shutting down
// finished after 200 ms
// lost 1 object(s) with the old server
// new counter on port the same port: 1
// the old counter: RPC_OBJECT_LOST
