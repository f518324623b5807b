import { Client, withCallOptions, type RpcError } from '@rpc/client';
import { connect, MsgServer } from '@rpc/msg';
import { MemoryTransport, RxLoop, runInVirtualTime } from '@rpc/loop-rxjs';
import { Server, type Stub } from '@rpc/server';
import { VirtualTimeScheduler } from 'rxjs';
import type { Loop } from '@rpc/loop';
import { quiet } from './rpc-helpers.js';

/** Waits on the server's own loop, so that under a virtual-time scheduler its waits are virtual too. */
class Clock {
  static cancelled = 0;
  after(ms: number, value: unknown): Promise<unknown> {
    const loop = Server.instance?.loop;
    return new Promise((resolve) => loop?.timer(Number(ms), () => resolve(value)));
  }
  /** Never answers; notices when its caller gives up (activeSignal). */
  forever(): Promise<never> {
    Server.instance?.activeSignal?.addEventListener('abort', () => Clock.cancelled++);
    return new Promise(() => undefined);
  }
}

const text = new TextDecoder();

describe('a Msg conversation in virtual time', () => {
  it('carries a Msg conversation over the memory transport without real waiting, the same way every run', async () => {
    const runs: string[][] = [];
    for (let run = 0; run < 3; run++) {
      const scheduler = new VirtualTimeScheduler();
      const loop = new RxLoop({ scheduler, transport: new MemoryTransport(scheduler) });
      const log: string[] = [];
      await runInVirtualTime(scheduler, async () => {
        await using server = await new MsgServer({
          host: 'memory',
          port: 0,
          login: () => (conn, msg) => {
            if (msg === undefined) return;
            log.push(`server got ${text.decode(msg)} at ${loop.now()}`);
            loop.timer(250, () => conn.sendLater(`late answer to ${text.decode(msg)}`));
          },
          loop,
        }).start();
        await using client = await connect(server.address, undefined, { loop });
        client.sendLater('one');
        client.sendLater('two');
        for (let i = 0; i < 2; i++)
          log.push(`client got ${text.decode((await client.receive()) as Uint8Array)} at ${loop.now()}`);
      });
      runs.push(log);
    }
    expect(runs[0]).toEqual([
      'server got one at 0',
      'server got two at 0',
      'client got late answer to one at 250',
      'client got late answer to two at 250',
    ]);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });
});

describe('an Event::RPC conversation in virtual time', () => {
  it('connects, calls, and meets its deadlines and timeouts without real waiting, the same way every run', async () => {
    const outcomes: unknown[] = [];
    for (let run = 0; run < 2; run++) {
      const scheduler = new VirtualTimeScheduler();
      const loop = new RxLoop({ scheduler, transport: new MemoryTransport(scheduler) });
      const started = Date.now();
      Clock.cancelled = 0;
      const outcome = await runInVirtualTime(scheduler, async () => {
        const seen: string[] = [];
        await using server = new Server({
          host: 'memory',
          port: 0,
          loop,
          logger: quiet,
          classes: { Clock: { impl: Clock, methods: { new: '_constructor', after: 1, forever: 1 } } },
        });
        await server.setupListeners();
        await using client = new Client({ host: 'memory', port: server.port, loop });
        await client.connect();
        const clock = await client.remoteClass<Clock>('Clock').new();
        seen.push(`answer ${String(await clock.after(1500, 'late'))} at ${loop.now()}`);
        const deadline = await withCallOptions(clock, { deadlineMs: 30_000 })
          .forever()
          .catch((e: RpcError) => e.code);
        seen.push(`${deadline} at ${loop.now()}`);
        // The server gives up on the call too, at its own deadline: the same virtual instant, one task later.
        await new Promise<void>((resolve) => loop.timer(0, resolve));
        const cancelled = Clock.cancelled;
        await using timeout = new Client({ host: 'memory', port: server.port, loop, deadlineMs: 5000 });
        await timeout.connect();
        const slow = await timeout.remoteClass<Clock>('Clock').new();
        seen.push(`${await slow.forever().catch((e: RpcError) => e.code)} at ${loop.now()}`);
        return { seen, cancelled };
      });
      expect(Date.now() - started).toBeLessThan(30_000); // 36.5 virtual seconds, no real ones
      outcomes.push(outcome);
    }
    expect(outcomes[0]).toEqual({
      seen: ['answer late at 1500', 'RPC_DEADLINE at 31500', 'RPC_DEADLINE at 36500'],
      cancelled: 1,
    });
    expect(outcomes[1]).toEqual(outcomes[0]);
  });
});

/** Callbacks and streams paced by the server's loop: under a virtual-time scheduler, in virtual time. */
class Metronome {
  static new(): Metronome {
    return new Metronome();
  }
  /** The loop of the server serving the call. */
  get #loop(): Loop {
    const loop = Server.instance?.loop;
    if (loop === undefined) throw new Error('not serving a call');
    return loop;
  }
  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => this.#loop.timer(ms, resolve));
  }
  /** Calls `tick` `n` times, `ms` apart, and gives what it answered. */
  async every(ms: number, n: number, tick: Stub<(at: number) => string>): Promise<string[]> {
    const answers: string[] = [];
    for (let i = 0; i < n; i++) {
      await this.#wait(ms);
      answers.push(await tick(this.#loop.now()));
    }
    return answers;
  }
  async *beats(ms: number): AsyncGenerator<number> {
    for (;;) {
      await this.#wait(ms);
      yield this.#loop.now();
    }
  }
  /** A copy of itself, after `ms`: something to pipeline on. */
  async later(ms: number): Promise<Metronome> {
    await this.#wait(ms);
    return new Metronome();
  }
  now(): number {
    return this.#loop.now();
  }
}

describe('capabilities in virtual time', () => {
  it('calls back, streams and pipelines on the virtual clock, the same way every run', async () => {
    const outcomes: unknown[] = [];
    for (let run = 0; run < 2; run++) {
      const scheduler = new VirtualTimeScheduler();
      const loop = new RxLoop({ scheduler, transport: new MemoryTransport(scheduler) });
      const started = Date.now();
      const outcome = await runInVirtualTime(scheduler, async () => {
        await using server = new Server({
          host: 'memory',
          port: 0,
          loop,
          logger: quiet,
          classes: {
            Metronome: {
              impl: Metronome,
              methods: { new: '_constructor', every: 1, beats: 1, later: '_object', now: 1 },
            },
          },
        });
        await server.setupListeners();
        await using client = await new Client({ host: 'memory', port: server.port, loop }).connect();
        const metronome = await client.remoteClass<Metronome>('Metronome').new();
        const heard: number[] = [];
        const answers = await metronome.every(100, 3, (at: number) => {
          heard.push(loop.now());
          return `tick at ${at}`;
        });
        const beats: number[] = [];
        for await (const at of await metronome.beats(1000)) {
          beats.push(at);
          if (beats.length === 3) break;
        }
        const start = loop.now();
        const pipelined = await metronome.later(5000).later(5000).now();
        return { answers, heard, beats, pipelinedAfter: pipelined - start, endedAt: loop.now() - start };
      });
      expect(Date.now() - started).toBeLessThan(30_000);
      outcomes.push(outcome);
    }
    expect(outcomes[0]).toEqual({
      answers: ['tick at 100', 'tick at 200', 'tick at 300'],
      heard: [100, 200, 300],
      beats: [1300, 2300, 3300],
      pipelinedAfter: 10_000,
      endedAt: 10_000,
    });
    expect(outcomes[1]).toEqual(outcomes[0]);
  });
});
