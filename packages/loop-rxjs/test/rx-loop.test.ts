import type { Channel } from '@rpc/loop';
import { MemoryTransport, RxLoop, runInVirtualTime } from '@rpc/loop-rxjs';
import { PassThrough, Writable } from 'node:stream';
import { disposer, waitFor } from '@rpc/testkit';
import { VirtualTimeScheduler } from 'rxjs';

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

  it('delivers a transport’s events through the scheduler, in order', async () => {
    const scheduler = new VirtualTimeScheduler();
    const loop = new RxLoop({ scheduler, transport: new MemoryTransport(scheduler) });
    const seen: string[] = [];
    await runInVirtualTime(scheduler, async () => {
      let accepted: Channel | undefined;
      await using listener = await loop.listen({ host: 'memory', port: 0 }, (channel) => {
        accepted = channel;
        channel.on('data', (chunk) => seen.push(`server got ${chunk.length} at ${loop.now()}`));
        channel.on('close', (error) => seen.push(`server closed ${error ? 'with an error' : 'cleanly'}`));
      });
      const client = await loop.connect(listener.address as { host: string; port: number });
      client.write(new Uint8Array(3));
      await new Promise<void>((resolve) => loop.timer(100, resolve));
      client.write(new Uint8Array(5));
      client.close();
      await new Promise<void>((resolve) => client.on('close', () => resolve()));
      expect(accepted?.closed).toBe(true);
    });
    expect(seen).toEqual(['server got 3 at 0', 'server got 5 at 100', 'server closed cleanly']);
  });

  it('reports work that waits for something never scheduled', async () => {
    const scheduler = new VirtualTimeScheduler();
    await expect(runInVirtualTime(scheduler, () => new Promise(() => undefined))).rejects.toThrow(
      'stuck in virtual time',
    );
  });

  it('refuses I/O without a transport', async () => {
    await expect(new RxLoop().connect({ port: 1 })).rejects.toMatchObject({
      name: 'UsageError',
      code: 'LOOP_UNSUPPORTED',
    });
  });
});

describe('RxLoop.watch on a virtual-time scheduler', () => {
  it('calls a write handler once per host turn at the same instant, none while a drain is awaited, and again after it', async () => {
    const scheduler = new VirtualTimeScheduler();
    const loop = new RxLoop({ scheduler });
    const held: Array<() => void> = [];
    const sink = new Writable({ highWaterMark: 3, write: (_chunk, _encoding, done) => void held.push(() => done()) });
    const seen: string[] = [];
    let fifth: () => void = () => undefined;
    const watcher = loop.watch(sink, {
      write: () => {
        seen.push(`write at ${loop.now()}`);
        sink.write('x');
        if (seen.length === 5) {
          watcher.dispose();
          fifth();
        }
      },
    });
    // Virtual time stays at 0 while the write handler has work there; the timer comes once the sink is full.
    await runInVirtualTime(scheduler, () => new Promise<void>((resolve) => loop.timer(5, resolve)));
    expect(seen).toEqual(['write at 0', 'write at 0', 'write at 0']);
    expect(sink.writableNeedDrain).toBe(true);
    while (held.length > 0) {
      held.shift()?.(); // the sink takes a byte: once all are taken, drain
      await new Promise((resolve) => setImmediate(resolve));
    }
    await runInVirtualTime(scheduler, () => new Promise<void>((resolve) => (fifth = resolve)));
    expect(seen).toEqual(['write at 0', 'write at 0', 'write at 0', 'write at 5', 'write at 5']);
  });

  it('watches a readable source without a transport, each chunk a scheduled action', async () => {
    const scheduler = new VirtualTimeScheduler();
    const loop = new RxLoop({ scheduler });
    const source = new PassThrough();
    const seen: string[] = [];
    loop.watch(source, { read: (chunk) => seen.push(Buffer.from(chunk).toString()), end: () => seen.push('end') });
    source.end('typed');
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([]);
    scheduler.flush();
    expect(seen).toEqual(['typed', 'end']);
  });
});

describe('MemoryTransport', () => {
  it('refuses taken addresses and unknown ones like a network would', async () => {
    const transport = new MemoryTransport();
    await using listener = await transport.listen({ host: 'a', port: 7 }, () => undefined);
    await expect(transport.listen({ host: 'a', port: 7 }, () => undefined)).rejects.toMatchObject({
      code: 'LOOP_ADDRESS_IN_USE',
    });
    await expect(transport.connect({ host: 'a', port: 8 })).rejects.toMatchObject({ code: 'LOOP_CONNECTION_REFUSED' });
    await listener.close();
    await expect(transport.connect({ host: 'a', port: 7 })).rejects.toMatchObject({ code: 'LOOP_CONNECTION_REFUSED' });
  });

  it('says wait past 1 MiB in flight and drains once delivered; a reset reaches the peer as an error', async () => {
    const transport = new MemoryTransport();
    let server: Channel | undefined;
    await using listener = await transport.listen({ host: 'b', port: 1 }, (channel) => (server = channel));
    const client = await transport.connect(listener.address as { host: string; port: number });
    using _client = disposer(() => client.destroy());
    await waitFor(() => server !== undefined, 'the accepted channel');
    let received = 0;
    server?.on('data', (chunk) => (received += chunk.length));
    expect(client.write(new Uint8Array(512 * 1024))).toBe(true);
    expect(client.write(new Uint8Array(512 * 1024))).toBe(false);
    await new Promise<void>((resolve) => client.on('drain', resolve));
    expect(received).toBe(1024 * 1024);
    const reset = new Promise((resolve) => server?.on('close', resolve));
    client.destroy();
    expect(await reset).toMatchObject({ code: 'LOOP_CONNECTION_RESET' });
  });
});
