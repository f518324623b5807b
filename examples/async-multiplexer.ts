// Two RPC::Async services sharing one multiplexer (IO::EventMux's role): the program owns the loop and hands each
// event to the servers; a procedure returns later, exactly once, through its caller handle.
//
// Run: npx tsx async-multiplexer.ts
import { AsyncClient, AsyncServer, Multiplexer } from '@rpc/async';

interface Maths {
  square(n: number): [number];
}
interface Clock {
  later(ms: number): [string];
}

const mux = new Multiplexer();
const maths: AsyncServer<Maths> = new AsyncServer<Maths>({
  mux,
  host: '127.0.0.1',
  procedures: { square: (caller, n) => maths.return(caller, n * n) },
});
const clock: AsyncServer<Clock> = new AsyncServer<Clock>({
  mux,
  host: '127.0.0.1',
  procedures: { later: (caller, ms) => void setTimeout(() => clock.return(caller, `after ${ms} ms`), ms) },
});
await maths.start();
await clock.start();
// Each server keeps its own events and passes the rest on.
const running = mux.run([(event) => maths.io(event), (event) => clock.io(event)]);

const mathsClient = await new AsyncClient<Maths>({ ...maths.address }).connect();
const clockClient = await new AsyncClient<Clock>({ ...clock.address }).connect();
const [[later], [nine]] = await Promise.all([clockClient.call('later', 30), mathsClient.call('square', 3)]);
console.log(nine, later);

await mathsClient.close();
await clockClient.close();
await maths.close();
await clock.close();
await mux.close();
await running;

// Output:
// 9 after 30 ms
