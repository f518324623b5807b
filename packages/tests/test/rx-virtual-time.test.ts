import { Client, withCallOptions, type RpcError } from '@rpc/client';
import { connect, MsgServer } from '@rpc/msg';
import { MemoryTransport, RxLoop, runInVirtualTime } from '@rpc/loop-rxjs';
import { Server } from '@rpc/server';
import { VirtualTimeScheduler } from 'rxjs';
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
