// An Event::RPC server and client on the RxJS loop in virtual time: a method that answers after a minute and a call
// with a 30-second deadline both finish at once in real time, at the same virtual instants on every run. The way to
// test timeouts, deadlines and slow peers without waiting for them.
//
// Run: npx tsx virtual-time.ts
import { Client, type RpcError, withCallOptions } from '@rpc/client';
import { MemoryTransport, RxLoop, runInVirtualTime } from '@rpc/loop-rxjs';
import { Server } from '@rpc/server';
import { VirtualTimeScheduler } from 'rxjs';

const scheduler = new VirtualTimeScheduler();
const loop = new RxLoop({ scheduler, transport: new MemoryTransport(scheduler) });

class Oracle {
  /** Waits on the loop's clock, so that its wait is virtual too. */
  answer(): Promise<number> {
    return new Promise((resolve) => loop.timer(60_000, () => resolve(42)));
  }
}
const started = Date.now();
const lines = await runInVirtualTime(scheduler, async () => {
  await using server = new Server({
    host: 'memory',
    port: 0,
    loop,
    classes: { Oracle: { impl: Oracle, methods: { new: '_constructor', answer: 1 } } },
  });
  await server.start();
  await using client = new Client({ host: 'memory', port: server.port, loop });
  await client.connect();
  const oracle = await client.remoteClass<Oracle>('Oracle').new();
  const hurried = await withCallOptions(oracle, { deadlineMs: 30_000 })
    .answer()
    .catch((error: RpcError) => error.code);
  const hurriedAt = loop.now();
  const patient = await oracle.answer();
  return [`${hurried} at ${hurriedAt} ms`, `${patient} at ${loop.now()} ms`];
});
for (const line of lines) console.log(line);
console.log(Date.now() - started < 10_000 ? 'in well under a minute of real time' : 'too slowly');

// Output:
// RPC_DEADLINE at 30000 ms
// 42 at 90000 ms
// in well under a minute of real time
