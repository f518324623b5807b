import {
  type Address,
  type Channel,
  type Endpoint,
  type Listener,
  type Loop,
  loopError,
  TransportError,
} from '@rpc/loop';
import { waitFor } from './wait.js';

/** What the suite uses of a Loop: its I/O, so that a bare transport (RxJS's MemoryTransport) can be tried too. */
export type LoopIo = Pick<Loop, 'listen' | 'connect'>;

/** A Loop adapter as the channel conformance suite drives it. */
export interface ChannelAdapter {
  /** Shown in the test names. */
  readonly name: string;
  /** The loop that listens. */
  readonly server: LoopIo;
  /** The loop that connects (default: `server`). */
  readonly client?: LoopIo;
  /** A fresh endpoint to listen at (port 0, a new socket path), with the server's TLS options. */
  listenAt(): Endpoint | Promise<Endpoint>;
  /** How a client reaches a listener at `address` (default: the address), with the client's TLS options. */
  reach?(address: Address): Endpoint | Promise<Endpoint>;
}

/** What a channel received, and when its `close` came. */
interface Received {
  readonly chunks: Uint8Array[];
  readonly closes: Array<TransportError | undefined>;
  /** Everything received, as text. */
  text(): string;
  size(): number;
}

const utf8 = new TextEncoder();
const text = new TextDecoder();
const bytes = (s: string): Uint8Array => utf8.encode(s);

/** Lets bytes travel before checking that nothing happened: a wait, never an assertion about time. */
const moment = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 30));

function receive(channel: Channel): Received {
  const chunks: Uint8Array[] = [];
  const closes: Array<TransportError | undefined> = [];
  channel.on('data', (chunk) => chunks.push(chunk));
  channel.on('close', (error) => closes.push(error));
  return {
    chunks,
    closes,
    text: () => chunks.map((chunk) => text.decode(chunk)).join(''),
    size: () => chunks.reduce((n, chunk) => n + chunk.length, 0),
  };
}

function closeOf(channel: Channel): Promise<TransportError | undefined> {
  return new Promise((resolve) => channel.on('close', resolve));
}

function onceDrained(channel: Channel): Promise<void> {
  return new Promise((resolve) => channel.on('drain', resolve));
}

/** A free endpoint like `endpoint`: the port a listener of `loop` got for port 0, after it closed again. */
async function freeEndpoint(loop: LoopIo, endpoint: Endpoint): Promise<Endpoint> {
  if (!('port' in endpoint) || endpoint.port !== 0) return endpoint;
  const probe = await loop.listen(endpoint, (channel) => channel.destroy());
  await probe.close();
  return { ...endpoint, port: (probe.address as { port: number }).port };
}

/** Connects as soon as something listens at `endpoint`: tries again while nothing does. */
async function connectSoon(loop: LoopIo, endpoint: Endpoint): Promise<Channel> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await loop.connect(endpoint);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
}

/**
 * Declares the tests every Loop adapter's channels and listen() must pass:
 * data held until the first `data` listener, pause and resume, `close` once
 * and to late listeners with its error kept, writes refused once closed,
 * backpressure and flush callbacks, and listen() that never hands over a
 * channel before it has resolved. Call it at the top level of a test file.
 */
export function describeChannelConformance(adapter: ChannelAdapter): void {
  const client = adapter.client ?? adapter.server;
  const reach = adapter.reach ?? ((address: Address): Endpoint => address as Endpoint);
  const opened: Channel[] = [];
  const listening: Listener[] = [];

  afterEach(async () => {
    for (const channel of opened.splice(0)) channel.destroy();
    await Promise.all(listening.splice(0).map((listener) => listener.close()));
  });

  /** A connected pair: `connected` made by connect(), `accepted` handed to the listener. */
  async function pair(): Promise<{ connected: Channel; accepted: Channel }> {
    let accepted: Channel | undefined;
    const listener = await adapter.server.listen(await adapter.listenAt(), (channel) => {
      opened.push(channel);
      accepted ??= channel;
    });
    listening.push(listener);
    const connected = await client.connect(await reach(listener.address));
    opened.push(connected);
    await waitFor(() => accepted !== undefined, 'the accepted channel');
    return { connected, accepted: accepted as Channel };
  }

  describe(`channels of ${adapter.name}`, () => {
    it('carry bytes both ways in order; with messageBoundaries each write is one chunk', async () => {
      const { connected, accepted } = await pair();
      const atServer = receive(accepted);
      const atClient = receive(connected);
      const sizes = [1, 1000, 65_536, 3, 200_000];
      const payload = Uint8Array.from({ length: sizes.reduce((a, b) => a + b) }, (_, i) => (i * 7) & 0xff);
      let at = 0;
      const writes = sizes.map((size) => payload.subarray(at, (at += size)));
      connected.write(writes[0] as Uint8Array);
      connected.writev(writes.slice(1));
      accepted.write(bytes('back'));
      await waitFor(() => atServer.size() === payload.length && atClient.text() === 'back', 'every byte');
      expect(Buffer.concat(atServer.chunks).equals(payload)).toBe(true);
      if (connected.messageBoundaries) expect(atServer.chunks.map((c) => c.length)).toEqual(sizes);
      expect(accepted.messageBoundaries === true).toBe(connected.messageBoundaries === true);
    });

    it('never hand a channel to listen() before its promise has resolved and its awaiter has run', async () => {
      const endpoint = await freeEndpoint(adapter.server, await adapter.listenAt());
      const target = await reach(endpoint as Address);
      const order: string[] = [];
      const starting = adapter.server.listen(endpoint, (channel) => {
        opened.push(channel);
        order.push('channel');
      });
      // Connect while listen() is still under way, as soon as anything answers.
      const connecting = [1, 2, 3].map(() => connectSoon(client, target));
      const listener = await starting;
      order.push('resolved');
      listening.push(listener);
      opened.push(...(await Promise.all(connecting)));
      await waitFor(() => order.length === 4, 'three channels');
      expect(order).toEqual(['resolved', 'channel', 'channel', 'channel']);
    });
  });

  describe.each(['connected', 'accepted'] as const)(`the %s end of ${adapter.name}`, (side) => {
    /** The end under test, and its peer. */
    async function ends(): Promise<{ near: Channel; far: Channel }> {
      const { connected, accepted } = await pair();
      return side === 'connected' ? { near: connected, far: accepted } : { near: accepted, far: connected };
    }

    it('holds data until its first data listener, then gives it to every listener added in that turn', async () => {
      const { near, far } = await ends();
      far.write(bytes('early'));
      await moment();
      const first = receive(near);
      const second = receive(near);
      expect(first.chunks).toEqual([]); // released in a later task, not inside on()
      await waitFor(() => first.text() === 'early' && second.text() === 'early', 'the held data');
    });

    it('stays paused when paused before its first data listener, until resumed', async () => {
      const { near, far } = await ends();
      near.pause();
      far.write(bytes('held'));
      await moment();
      const got = receive(near);
      await moment();
      expect(got.chunks).toEqual([]);
      near.resume();
      await waitFor(() => got.text() === 'held', 'the data after resume');
    });

    it('delivers nothing while paused and goes on in order after resume', async () => {
      const { near, far } = await ends();
      const got = receive(near);
      far.write(bytes('a'));
      await waitFor(() => got.text() === 'a', 'the first chunk');
      near.pause();
      far.write(bytes('b'));
      far.write(bytes('c'));
      await moment();
      expect(got.text()).toBe('a');
      near.resume();
      await waitFor(() => got.text() === 'abc', 'the rest, in order');
    });

    it('says wait while its peer reads nothing, tells bufferedAmount, and drains once', async () => {
      const { near, far } = await ends();
      const got = receive(far);
      far.pause();
      const block = new Uint8Array(256 * 1024);
      let written = 0;
      // A socket may take a block at once and still say wait: write on after its drain until bytes stay buffered.
      for (;;) {
        written += block.length;
        if (!near.write(block)) {
          if (near.bufferedAmount > 0) break;
          await onceDrained(near);
        }
        if (written > 256 * 1024 * 1024) throw new Error('write() never said to wait');
      }
      expect(near.write(bytes('!'))).toBe(false); // wait means wait, until drain
      written += 1;
      let drains = 0;
      near.on('drain', () => drains++);
      const drained = onceDrained(near);
      far.resume();
      await drained;
      await waitFor(() => got.size() === written, 'every byte');
      await moment();
      expect(drains).toBe(1);
      expect(near.write(bytes('?'))).toBe(true);
    });

    it('calls every flush callback once, without error, once its bytes are written', async () => {
      const { near, far } = await ends();
      const got = receive(far);
      const flushed: Array<[string, unknown]> = [];
      near.write(bytes('a'), (error) => flushed.push(['write', error]));
      near.writev([bytes('b'), bytes('c')], (error) => flushed.push(['writev', error]));
      near.writev([], (error) => flushed.push(['nothing', error]));
      await waitFor(() => flushed.length === 3 && got.text() === 'abc', 'the flushes');
      await moment();
      expect(flushed.sort()).toEqual([
        ['nothing', undefined],
        ['write', undefined],
        ['writev', undefined],
      ]);
    });

    it('ends cleanly after the data that came before the end, and closes both ends once', async () => {
      const { near, far } = await ends();
      const atFar = receive(far);
      far.write(bytes('last words'));
      far.close();
      far.close();
      await moment();
      const events: string[] = [];
      near.on('data', (chunk) => events.push(text.decode(chunk)));
      near.on('close', (error) => events.push(`close ${error?.code ?? 'clean'}`));
      await waitFor(() => events.includes('close clean') && atFar.closes.length > 0, 'both closes');
      await moment();
      expect(events.join('')).toBe('last wordsclose clean');
      expect(atFar.closes).toEqual([undefined]);
      expect([near.closed, far.closed]).toEqual([true, true]);
    });

    it('tells close to listeners that come after it, once, in a later task', async () => {
      const { near, far } = await ends();
      receive(far);
      const closed = closeOf(near);
      near.close();
      near.destroy();
      expect(await closed).toBeUndefined();
      const late: unknown[] = [];
      near.on('close', (error) => late.push(error));
      near.on('close', () => late.push('disposed')).dispose();
      expect(late).toEqual([]);
      await waitFor(() => late.length > 0, 'the late close');
      await moment();
      expect(late).toEqual([undefined]);
    });

    it('keeps the error it was destroyed with, for late listeners too; the peer closes as well', async () => {
      const { near, far } = await ends();
      const atFar = receive(far);
      const given = loopError('LOOP_IO_FAILED', 'given up by the test');
      const closed = closeOf(near);
      near.destroy(given);
      near.destroy(loopError('LOOP_IO_FAILED', 'a second reason'));
      expect(await closed).toBe(given);
      expect(await closeOf(near)).toBe(given);
      await waitFor(() => atFar.closes.length === 1, "the peer's close");
    });

    it('refuses writes once closing and once closed: false, and LOOP_CHANNEL_CLOSED to the callback', async () => {
      const { near, far } = await ends();
      const atFar = receive(far);
      const told: unknown[] = [];
      const closed = closeOf(near);
      near.close();
      expect(near.write(bytes('late'), (error) => told.push(error))).toBe(false);
      expect(near.writev([bytes('later')], (error) => told.push(error))).toBe(false);
      expect(told).toEqual([]); // told in a later task, not inside write()
      await closed;
      expect(near.write(bytes('after close'), (error) => told.push(error))).toBe(false);
      await waitFor(() => told.length === 3, 'three refusals');
      for (const error of told) {
        expect(error).toBeInstanceOf(TransportError);
        expect(error).toMatchObject({ name: 'TransportError', code: 'LOOP_CHANNEL_CLOSED' });
        expect((error as Error).message).toMatch(/^connection to .+ is closed$/);
      }
      await moment();
      expect(atFar.chunks).toEqual([]);
    });
  });
}
