import { type Address, type Channel, type ChannelEvents, Emitter, type Endpoint, type FlushCallback, formatAddress, isUnixEndpoint, type Listener, type ListenerEvents, loopError, type Subscription, TransportError } from '@rpc/loop';
import { asapScheduler, type SchedulerLike } from 'rxjs';
import type { Transport } from './rx-loop.js';

/** Bytes written but not yet delivered before write() says to wait. */
const HIGH_WATER = 1024 * 1024;

function keyOf(endpoint: Endpoint | Address): string {
  return isUnixEndpoint(endpoint as Endpoint) ? `unix:${(endpoint as { path: string }).path}` : `${(endpoint as { host?: string }).host ?? '127.0.0.1'}:${(endpoint as { port: number }).port}`;
}

/** One end of an in-memory connection: what one side writes the other receives, in order, when the scheduler runs it. */
class MemoryChannel implements Channel {
  readonly local: Address;
  readonly remote: Address;
  readonly secure = false;
  peer: MemoryChannel | undefined;
  readonly #scheduler: SchedulerLike;
  readonly #events = new Emitter<ChannelEvents>();
  /** Chunks that arrived while paused or before anyone listened. */
  readonly #held: Uint8Array[] = [];
  #paused = false;
  #listening = false;
  #inFlight = 0;
  #needDrain = false;
  #closed = false;
  #ending = false;

  constructor(local: Address, remote: Address, scheduler: SchedulerLike) {
    this.local = local;
    this.remote = remote;
    this.#scheduler = scheduler;
  }

  get bufferedAmount(): number {
    return this.#inFlight;
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(chunk: Uint8Array, onFlushed?: FlushCallback): boolean {
    return this.writev([chunk], onFlushed);
  }

  writev(chunks: readonly Uint8Array[], onFlushed?: FlushCallback): boolean {
    if (this.#closed || this.#ending) {
      if (onFlushed) this.#scheduler.schedule(() => onFlushed(loopError('LOOP_CHANNEL_CLOSED', `connection to ${formatAddress(this.remote)} is closed`)));
      return false;
    }
    let size = 0;
    for (const chunk of chunks) size += chunk.length;
    const copy = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) (copy.set(chunk, at), (at += chunk.length));
    this.#inFlight += size;
    this.#scheduler.schedule(() => {
      this.#inFlight -= size;
      this.peer?.arrive(copy);
      onFlushed?.();
      if (this.#needDrain && this.#inFlight === 0) {
        this.#needDrain = false;
        this.#events.emit('drain');
      }
    });
    if (this.#inFlight >= HIGH_WATER) this.#needDrain = true;
    return !this.#needDrain;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#release();
  }

  close(): void {
    if (this.#closed || this.#ending) return;
    this.#ending = true;
    // After everything written so far: the peer sees the end, and both sides close cleanly.
    this.#scheduler.schedule(() => {
      this.peer?.shut(undefined);
      this.shut(undefined);
    });
  }

  destroy(error?: TransportError): void {
    if (this.#closed) return;
    this.peer?.shut(loopError('LOOP_CONNECTION_RESET', `connection to ${formatAddress(this.local)} reset`));
    this.shut(error);
  }

  on<K extends keyof ChannelEvents>(event: K, listener: ChannelEvents[K]): Subscription {
    const subscription = this.#events.on(event, listener);
    if (event === 'data' && !this.#listening) {
      this.#listening = true;
      this.#release(); // what arrived before anyone listened; a paused channel stays paused
    }
    return subscription;
  }

  #release(): void {
    while (!this.#paused && this.#listening && this.#held.length > 0) this.#events.emit('data', this.#held.shift() as Uint8Array);
  }

  /** @internal the peer's bytes, in order */
  arrive(chunk: Uint8Array): void {
    if (this.#closed) return;
    if (this.#paused || !this.#listening) this.#held.push(chunk);
    else this.#events.emit('data', chunk);
  }

  /** @internal */
  shut(error: TransportError | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#events.emit('close', error);
    this.#events.removeAllListeners();
  }
}

/**
 * An in-memory transport: listen and connect by address in one process,
 * every byte delivered by the scheduler. Under a virtual-time scheduler,
 * together with an RxLoop, a whole conversation runs in virtual time and
 * always the same way; no socket is opened.
 */
export class MemoryTransport implements Transport {
  readonly #scheduler: SchedulerLike;
  readonly #listeners = new Map<string, (channel: Channel) => void>();
  #nextPort = 40000;

  constructor(scheduler: SchedulerLike = asapScheduler) {
    this.#scheduler = scheduler;
  }

  async listen(endpoint: Endpoint, onChannel: (channel: Channel) => void): Promise<Listener> {
    const address: Address = isUnixEndpoint(endpoint)
      ? { path: endpoint.path }
      : { host: endpoint.host ?? '127.0.0.1', port: endpoint.port === 0 ? this.#nextPort++ : endpoint.port };
    const key = keyOf(address);
    if (this.#listeners.has(key)) throw loopError('LOOP_ADDRESS_IN_USE', `address ${formatAddress(address)} is already in use`);
    this.#listeners.set(key, onChannel);
    const events = new Emitter<ListenerEvents>();
    const close = async (): Promise<void> => void this.#listeners.delete(key);
    return { address, close, on: (event, listener) => events.on(event, listener), [Symbol.asyncDispose]: close };
  }

  async connect(endpoint: Endpoint): Promise<Channel> {
    const onChannel = this.#listeners.get(keyOf(endpoint));
    if (onChannel === undefined) throw loopError('LOOP_CONNECTION_REFUSED', `connection to ${formatAddress(endpoint)} refused`);
    const server: Address = isUnixEndpoint(endpoint) ? { path: endpoint.path } : { host: endpoint.host ?? '127.0.0.1', port: endpoint.port };
    const client: Address = isUnixEndpoint(endpoint) ? server : { host: '127.0.0.1', port: this.#nextPort++ };
    const mine = new MemoryChannel(client, server, this.#scheduler);
    const theirs = new MemoryChannel(server, client, this.#scheduler);
    mine.peer = theirs;
    theirs.peer = mine;
    this.#scheduler.schedule(() => onChannel(theirs));
    return mine;
  }
}
