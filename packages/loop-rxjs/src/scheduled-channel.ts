import { type Address, BaseChannel, type Channel, type FlushCallback } from '@rpc/loop';
import type { SchedulerLike } from 'rxjs';

/**
 * A transport's Channel whose events (data, drain, close) are dispatched
 * through a scheduler, in the order they happened: under a virtual-time
 * scheduler nothing happens until the scheduler runs it.
 */
export class ScheduledChannel extends BaseChannel {
  readonly #inner: Channel;
  readonly #dispatch: (task: () => void) => void;
  #subscribed = false;

  constructor(inner: Channel, scheduler: SchedulerLike) {
    const dispatch = (task: () => void): void => void scheduler.schedule(task);
    super({ highWaterMark: Infinity, defer: dispatch }); // the inner channel says when to wait
    this.#inner = inner;
    this.#dispatch = dispatch;
    inner.on('drain', () => dispatch(() => this.drained()));
    inner.on('close', (error) => dispatch(() => this.ended(error)));
  }

  /** The inner channel's local address. */
  get local(): Address {
    return this.#inner.local;
  }

  /** The inner channel's peer address. */
  get remote(): Address {
    return this.#inner.remote;
  }

  /** Whether the inner channel runs over TLS. */
  get secure(): boolean {
    return this.#inner.secure;
  }

  /** Whether the inner channel delivers each write as one `data` chunk (see {@link Channel.messageBoundaries}). */
  get messageBoundaries(): boolean {
    return this.#inner.messageBoundaries === true;
  }

  /** Bytes written and not yet sent on by the inner channel. */
  get bufferedAmount(): number {
    return this.#inner.bufferedAmount;
  }

  protected transmit(chunks: readonly Uint8Array[], onFlushed: FlushCallback | undefined): boolean {
    return this.#inner.writev(chunks, onFlushed);
  }

  protected setReading(on: boolean): void {
    if (on && !this.#subscribed) {
      // The inner channel starts reading only now that someone listens here.
      this.#subscribed = true;
      this.#inner.on('data', (chunk) => this.#dispatch(() => this.received(chunk)));
    }
    if (on) this.#inner.resume();
    else this.#inner.pause();
  }

  protected shutdown(): void {
    this.#inner.close();
  }

  protected abort(): void {
    this.#inner.destroy();
  }
}
