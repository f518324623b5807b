import { Emitter, type Address, type Channel, type ChannelEvents, type FlushCallback, type Subscription } from '@rpc/loop';
import type { SchedulerLike } from 'rxjs';

/**
 * A transport's Channel whose events (data, drain, close) are dispatched
 * through a scheduler, in the order they happened: under a virtual-time
 * scheduler nothing happens until the scheduler runs it.
 */
export class ScheduledChannel implements Channel {
  readonly #inner: Channel;
  readonly #scheduler: SchedulerLike;
  readonly #events = new Emitter<ChannelEvents>();
  #reading = false;

  constructor(inner: Channel, scheduler: SchedulerLike) {
    this.#inner = inner;
    this.#scheduler = scheduler;
    inner.on('drain', () => this.#dispatch(() => this.#events.emit('drain')));
    inner.on('close', (error) => this.#dispatch(() => this.#events.emit('close', error)));
  }

  get local(): Address {
    return this.#inner.local;
  }

  get remote(): Address {
    return this.#inner.remote;
  }

  get secure(): boolean {
    return this.#inner.secure;
  }

  get messageBoundaries(): boolean {
    return this.#inner.messageBoundaries === true;
  }

  get bufferedAmount(): number {
    return this.#inner.bufferedAmount;
  }

  get closed(): boolean {
    return this.#inner.closed;
  }

  write(chunk: Uint8Array, onFlushed?: FlushCallback): boolean {
    return this.#inner.write(chunk, onFlushed);
  }

  writev(chunks: readonly Uint8Array[], onFlushed?: FlushCallback): boolean {
    return this.#inner.writev(chunks, onFlushed);
  }

  pause(): void {
    this.#inner.pause();
  }

  resume(): void {
    this.#inner.resume();
  }

  close(): void {
    this.#inner.close();
  }

  destroy(error?: Parameters<Channel['destroy']>[0]): void {
    this.#inner.destroy(error);
  }

  on<K extends keyof ChannelEvents>(event: K, listener: ChannelEvents[K]): Subscription {
    const subscription = this.#events.on(event, listener);
    if (event === 'data' && !this.#reading) {
      this.#reading = true;
      this.#inner.on('data', (chunk) => this.#dispatch(() => this.#events.emit('data', chunk)));
    }
    return subscription;
  }

  #dispatch(task: () => void): void {
    this.#scheduler.schedule(task);
  }
}
