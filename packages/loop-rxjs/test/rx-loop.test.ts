import { connect, newServer } from '@rpc/msg';
import { MemoryTransport, RxLoop, runInVirtualTime } from '@rpc/loop-rxjs';
import { VirtualTimeScheduler } from 'rxjs';

const text = new TextDecoder();

describe('RxLoop on a virtual-time scheduler', () => {
  it('runs timers, repeats and deferred tasks at their virtual times, in order', () => {
    const scheduler = new VirtualTimeScheduler();
    const loop = new RxLoop({ scheduler });
    const seen: string[] = [];
    loop.timer(1000, () => seen.push(`once at ${loop.now()}`));
    const cancelled = loop.timer(500, () => seen.push('never'));
    const ticks = loop.repeat(300, () => {
      seen.push(`tick at ${loop.now()}`);
      if (loop.now() >= 900) ticks.cancel();
    });
    loop.defer(() => seen.push(`deferred at ${loop.now()}`));
    cancelled.cancel();
    expect(cancelled.active).toBe(false);
    scheduler.flush();
    expect(seen).toEqual(['deferred at 0', 'tick at 300', 'tick at 600', 'tick at 900', 'once at 1000']);
    expect(ticks.active).toBe(false);
  });

  it('carries a Msg conversation over the memory transport without real waiting, the same way every run', async () => {
    const runs: string[][] = [];
    for (let run = 0; run < 3; run++) {
      const scheduler = new VirtualTimeScheduler();
      const loop = new RxLoop({ scheduler, transport: new MemoryTransport(scheduler) });
      const log: string[] = [];
      await runInVirtualTime(scheduler, async () => {
        const server = await newServer({ host: 'memory', port: 0 }, () => (conn, msg) => {
          if (msg === undefined) return;
          log.push(`server got ${text.decode(msg)} at ${loop.now()}`);
          loop.timer(250, () => conn.sendLater(`late answer to ${text.decode(msg)}`));
        }, { loop });
        const client = await connect(server.address, undefined, { loop });
        client.sendLater('one');
        client.sendLater('two');
        for (let i = 0; i < 2; i++) log.push(`client got ${text.decode((await client.receive()) as Uint8Array)} at ${loop.now()}`);
        await client.disconnect();
        await server.close();
      });
      runs.push(log);
    }
    expect(runs[0]).toEqual(['server got one at 0', 'server got two at 0', 'client got late answer to one at 250', 'client got late answer to two at 250']);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });

  it('reports work that waits for something never scheduled', async () => {
    const scheduler = new VirtualTimeScheduler();
    await expect(runInVirtualTime(scheduler, () => new Promise(() => undefined))).rejects.toThrow('stuck in virtual time');
  });

  it('refuses I/O without a transport', async () => {
    await expect(new RxLoop().connect({ port: 1 })).rejects.toMatchObject({ name: 'UsageError', code: 'LOOP_UNSUPPORTED' });
  });
});
