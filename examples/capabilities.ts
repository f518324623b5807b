// Beyond Event::RPC, between @rpc peers: a client passes a function and an object by reference, the server calls
// them back; the server streams values to a `for await` and reads a stream the client uploads; a chain of calls on
// objects not yet returned costs one round trip (pipelining). Perl peers never see any of this.
//
// Run: npx tsx capabilities.ts
import { Client, target } from '@rpc/client';
import { exportClass } from '@rpc/core';
import { type RemoteStream, type RemoteTarget, Server, type Stub } from '@rpc/server';

interface Progress {
  done(percent: number): void;
}

class Job {
  constructor(readonly name: string) {}
  static new(name: string): Job {
    return new Job(name);
  }
  /** Calls `onStep` back for every step, and tells the progress object as it goes. */
  async run(steps: string[], onStep: Stub<(step: string) => string>, progress: RemoteTarget<Progress>) {
    const results: string[] = [];
    for (const [i, step] of steps.entries()) {
      results.push(await onStep(step));
      await progress.done(Math.round(((i + 1) / steps.length) * 100));
    }
    return results.join(' ');
  }
  /** Streams its log: the client reads it with `for await`, at its own pace. */
  async *log(lines: number): AsyncGenerator<string> {
    for (let i = 1; i <= lines; i++) yield `${this.name}: line ${i}`;
  }
  /** Reads a stream the client uploads. */
  async total(amounts: RemoteStream<number>): Promise<number> {
    let sum = 0;
    for await (const amount of amounts) sum += amount;
    return sum;
  }
  /** A follow-up job: an object returner, so calls on it can be pipelined. */
  next(name: string): Job {
    return new Job(`${this.name} > ${name}`);
  }
  describe(): string {
    return this.name;
  }
}

const job = exportClass(Job, { new: '_constructor', run: 1, log: 1, total: 1, next: '_object', describe: 1 });

await using server = new Server({ host: '127.0.0.1', port: 0, classes: { Job: job } });
await server.start();
await using client = await new Client({ host: '127.0.0.1', port: server.port }).connect();
const Jobs = client.remoteClass<typeof job>('Job');

using build = await Jobs.new('build');
const percents: number[] = [];
const progress = target({ done: (percent: number) => void percents.push(percent) });
console.log(await build.run(['fetch', 'compile'], (step) => step.toUpperCase(), progress));
console.log(`progress ${percents.join(', ')}`);

for await (const line of await build.log(2)) console.log(line);

async function* amounts() {
  yield* [10, 20, 12];
}
console.log(`total ${await build.total(amounts())}`);

// Three calls, one round trip: `next` twice on objects that do not exist yet, then `describe`.
using deploy = build.next('test').next('deploy');
console.log(await deploy.describe());

// Output:
// FETCH COMPILE
// progress 50, 100
// build: line 1
// build: line 2
// total 42
// build > test > deploy
