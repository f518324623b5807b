import { PassThrough } from 'node:stream';
import { Multiplexer, type MuxEvent } from '@rpc/async';
import { MemoryTransport, RxLoop, runInVirtualTime } from '@rpc/loop-rxjs';
import { VirtualTimeScheduler } from 'rxjs';

const text = new TextDecoder();

/** An event as a line, for comparing runs. */
function describeEvent(event: MuxEvent): string {
  switch (event.type) {
    case 'accepted':
      return 'accepted';
    case 'message':
      return `message ${text.decode(event.message)}`;
    case 'closed':
      return `closed${event.error ? ` ${event.error.message}` : ''}`;
    case 'read':
      return `read ${text.decode(event.data)}`;
    case 'end':
      return 'end';
  }
}

/** Runs `work` with a fresh multiplexer whose loop and transport run in virtual time. */
function virtually<T>(work: (mux: Multiplexer, loop: RxLoop) => Promise<T>, maxQueuedEvents?: number): Promise<T> {
  const scheduler = new VirtualTimeScheduler();
  const loop = new RxLoop({ scheduler, transport: new MemoryTransport(scheduler) });
  return runInVirtualTime(scheduler, async () => {
    await using mux = new Multiplexer({ loop, ...(maxQueuedEvents === undefined ? {} : { maxQueuedEvents }) });
    return await work(mux, loop); // awaited here, so that the multiplexer closes after the work
  });
}

describe('Multiplexer', () => {
  it('reports accepted connections, their messages and their end as one stream of events, in order', () =>
    virtually(async (mux) => {
      const listener = await mux.listen({ host: 'memory', port: 0 });
      const client = await mux.connect(listener.address);
      client.sendLater('one');
      client.sendLater('two');
      const accepted = (await mux.next()).value as Extract<MuxEvent, { type: 'accepted' }>;
      expect(accepted).toMatchObject({ type: 'accepted', listener });
      const seen = [describeEvent(accepted)];
      for (let i = 0; i < 2; i++) seen.push(describeEvent((await mux.next()).value as MuxEvent));
      accepted.connection.sendLater('back');
      seen.push(describeEvent((await mux.next()).value as MuxEvent));
      await client.close();
      seen.push(
        describeEvent((await mux.next()).value as MuxEvent),
        describeEvent((await mux.next()).value as MuxEvent),
      );
      expect(seen).toEqual(['accepted', 'message one', 'message two', 'message back', 'closed', 'closed']);
    }));

  it('stops reading a connection while maxQueuedEvents wait, and reads on as the program catches up', () =>
    virtually(async (mux, loop) => {
      const listener = await mux.listen({ host: 'memory', port: 0 });
      const client = await mux.connect(listener.address);
      for (let i = 0; i < 50; i++) client.sendLater(String(i));
      await new Promise<void>((resolve) => loop.timer(1000, resolve)); // a virtual second: time to deliver all
      expect(mux.queuedEvents).toBe(4);
      const messages: string[] = [];
      for await (const event of mux) {
        if (event.type === 'message') messages.push(text.decode(event.message));
        expect(mux.queuedEvents).toBeLessThanOrEqual(4);
        if (messages.length === 50) break;
      }
      expect(messages).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    }, 4));

  it('runs events along a chain of handlers until one keeps it, the rest to the last', () =>
    virtually(async (mux) => {
      const listener = await mux.listen({ host: 'memory', port: 0 });
      const client = await mux.connect(listener.address);
      client.sendLater('keep');
      client.sendLater('pass');
      const kept: string[] = [];
      const rest: string[] = [];
      const running = mux.run(
        [
          (event) => {
            if (event.type !== 'message' || text.decode(event.message) !== 'keep') return event;
            kept.push('keep');
            return undefined;
          },
          (event) => (event.type === 'accepted' ? undefined : event),
        ],
        (event) => {
          rest.push(describeEvent(event));
          if (rest.length === 1) void mux.close();
        },
      );
      await running;
      expect(kept).toEqual(['keep']);
      expect(rest).toEqual(['message pass']);
    }));

  it('reports the chunks of a watched source as read events, then its end', async () => {
    await using mux = new Multiplexer();
    const source = new PassThrough();
    mux.watch(source);
    source.end('typed');
    const seen = [
      describeEvent((await mux.next()).value as MuxEvent),
      describeEvent((await mux.next()).value as MuxEvent),
    ];
    expect(seen).toEqual(['read typed', 'end']);
  });

  it('drains what was queued once closed, then ends; listen, connect and watch are refused', () =>
    virtually(async (mux, loop) => {
      const listener = await mux.listen({ host: 'memory', port: 0 });
      await mux.connect(listener.address);
      await new Promise<void>((resolve) => loop.timer(10, resolve));
      expect(mux.queuedEvents).toBe(1);
      await mux.close();
      const left: string[] = [];
      for await (const event of mux) left.push(event.type);
      expect(left[0]).toBe('accepted');
      expect(await mux.next()).toEqual({ value: undefined, done: true });
      const closed = { name: 'UsageError', code: 'RPC_CLOSED', message: 'the multiplexer is closed' };
      await expect(mux.listen({ host: 'memory', port: 0 })).rejects.toMatchObject(closed);
      await expect(mux.connect(listener.address)).rejects.toMatchObject(closed);
      expect(() => mux.watch(new PassThrough())).toThrow(expect.objectContaining(closed));
    }));
});
