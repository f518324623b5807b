import type { Channel, ChannelEvents, FlushCallback } from './channel.js';
import { Emitter, type Subscription } from './emitter.js';
import { type Address, formatAddress } from './endpoint.js';
import { loopError, type TransportError } from './errors.js';

/** How an adapter tunes its {@link BaseChannel}s. */
export interface BaseChannelOptions {
  /**
   * bufferedAmount at which write() says to wait (default 1 MiB). Infinity
   * when the transport keeps its own mark and says so from transmit().
   */
  readonly highWaterMark?: number;
  /**
   * Runs what must not happen inside the caller's own call: held data
   * released, `close` told to a late listener, a refused write's callback
   * (default queueMicrotask; a scheduler's action on the RxJS loop).
   */
  readonly defer?: (task: () => void) => void;
}

const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
const noSubscription: Subscription = { dispose: () => undefined, [Symbol.dispose]: () => undefined };

/**
 * What every Channel does alike, so that an adapter keeps only its
 * transport's calls (transmit, setReading, shutdown, abort, bufferedAmount)
 * and reports what the transport does (received, drained, failed, ended):
 * - data is held until the first `data` listener and while paused, and
 *   released in a later task, so that listeners added together all see it;
 *   nothing is read from the transport meanwhile where it can wait;
 * - a clean end comes after the data that arrived before it; an error,
 *   destroy(), or close() on a channel nobody reads ends at once, dropping
 *   what was held; close() reads on, so that the end is seen;
 * - `close` is emitted once, with the error kept, and also told (in a later
 *   task) to listeners that subscribe after it;
 * - write() after close() or the end is refused: false, and the flush
 *   callback gets LOOP_CHANNEL_CLOSED;
 * - write() says to wait once the transport does or bufferedAmount reaches
 *   the high-water mark, and keeps saying so until one `drain`.
 */
export abstract class BaseChannel implements Channel {
  abstract readonly local: Address;
  abstract readonly remote: Address;
  abstract readonly secure: boolean;
  abstract get bufferedAmount(): number;

  readonly #events = new Emitter<ChannelEvents>();
  readonly #held: Uint8Array[] = [];
  readonly #highWaterMark: number;
  readonly #defer: (task: () => void) => void;
  #listening = false;
  #paused = false;
  #releasing = false;
  #needDrain = false;
  /** close() was called: writes are refused, reading goes on until the end. */
  #ending = false;
  /** destroy() was called: nothing more is read. */
  #destroyed = false;
  /** The transport has ended; `close` waits only for held data to be released. */
  #gone = false;
  #closed = false;
  #error: TransportError | undefined;

  constructor(options: BaseChannelOptions = {}) {
    this.#highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.#defer = options.defer ?? queueMicrotask;
  }

  /** Hands `chunks` to the transport; false when the transport says to wait for drained(). */
  protected abstract transmit(chunks: readonly Uint8Array[], onFlushed: FlushCallback | undefined): boolean;
  /**
   * Stops reading from the transport (pause), or reads on once someone
   * listens and the channel is not paused. A transport that cannot stop (a
   * browser's WebSocket) ignores it, and the base holds what arrives.
   */
  protected abstract setReading(on: boolean): void;
  /** Ends the transport after what was written has gone out; it then reports ended(). */
  protected abstract shutdown(): void;
  /** Drops the transport at once; it then reports ended(). */
  protected abstract abort(): void;

  /** False once the transport can take no more, before it has reported its end. */
  protected transportWritable(): boolean {
    return true;
  }

  /** A drain is owed: a transport that reports none itself (WebSocket) watches for it and calls drained(). */
  protected awaitDrain(): void {}

  /** The transport's bytes, in order. */
  protected received(chunk: Uint8Array): void {
    if (this.#gone || this.#destroyed) return;
    if (this.#flowing && !this.#releasing && this.#held.length === 0) this.#events.emit('data', chunk);
    else this.#held.push(chunk);
  }

  /** The transport can take more: `drain`, if write() said to wait. */
  protected drained(): void {
    if (!this.#needDrain || this.#closed) return;
    this.#needDrain = false;
    this.#events.emit('drain');
  }

  /** The transport failed; the first error is the one `close` carries (after destroy(), the one given to it). */
  protected failed(error: TransportError): void {
    if (!this.#destroyed) this.#error ??= error;
  }

  /** The transport is gone, cleanly unless an error is given or was reported. */
  protected ended(error?: TransportError): void {
    if (this.#gone) return;
    this.#gone = true;
    if (!this.#destroyed) this.#error ??= error;
    // After an error, destroy(), or a close() nobody reads past, what was held is dropped and `close` comes now.
    if (this.#error !== undefined || this.#destroyed || (this.#ending && !this.#flowing)) this.#held.length = 0;
    if (!this.#releasing) this.#release();
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(chunk: Uint8Array, onFlushed?: FlushCallback): boolean {
    if (this.#refused(onFlushed)) return false;
    return this.#queued(this.transmit([chunk], onFlushed));
  }

  writev(chunks: readonly Uint8Array[], onFlushed?: FlushCallback): boolean {
    if (this.#refused(onFlushed)) return false;
    if (chunks.length === 0) {
      if (onFlushed) this.#defer(() => onFlushed());
      return !this.#needDrain;
    }
    return this.#queued(this.transmit(chunks, onFlushed));
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    if (!this.#gone) this.setReading(false);
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#flow();
  }

  close(): void {
    if (this.#ending || this.#gone || this.#destroyed) return;
    this.#ending = true;
    this.shutdown();
    this.setReading(true); // read on to the end, so that even a paused channel sees it and closes
  }

  destroy(error?: TransportError): void {
    if (this.#closed || this.#destroyed) return;
    this.#destroyed = true;
    this.#error ??= error;
    this.#held.length = 0;
    if (this.#gone) this.#finish();
    else this.abort();
  }

  on<K extends keyof ChannelEvents>(event: K, listener: ChannelEvents[K]): Subscription {
    if (this.#closed) return event === 'close' ? this.#tellLate(listener as ChannelEvents['close']) : noSubscription;
    const subscription = this.#events.on(event, listener);
    if (event === 'data' && !this.#listening) {
      this.#listening = true;
      this.#flow();
    }
    return subscription;
  }

  /** Data flows to listeners: someone listens, and the channel is not paused. */
  get #flowing(): boolean {
    return this.#listening && !this.#paused;
  }

  #queued(accepted: boolean): boolean {
    if (!this.#needDrain && (!accepted || this.bufferedAmount >= this.#highWaterMark)) {
      this.#needDrain = true;
      this.awaitDrain();
    }
    return !this.#needDrain;
  }

  #refused(onFlushed: FlushCallback | undefined): boolean {
    if (!this.#ending && !this.#gone && !this.#destroyed && this.transportWritable()) return false;
    if (onFlushed) {
      const error = loopError('LOOP_CHANNEL_CLOSED', `connection to ${formatAddress(this.remote)} is closed`);
      this.#defer(() => onFlushed(error));
    }
    return true;
  }

  /** Data may flow now: release what was held (in a later task), and read on. */
  #flow(): void {
    if (!this.#flowing) return;
    if (this.#held.length > 0 && !this.#releasing) {
      this.#releasing = true;
      this.#defer(() => {
        this.#releasing = false;
        this.#release();
      });
    }
    if (!this.#gone) this.setReading(true);
  }

  #release(): void {
    while (this.#flowing && this.#held.length > 0) this.#events.emit('data', this.#held.shift() as Uint8Array);
    if (this.#gone && this.#held.length === 0 && !this.#closed) this.#finish();
  }

  #finish(): void {
    this.#closed = true;
    this.#events.emit('close', this.#error);
    this.#events.removeAllListeners();
  }

  #tellLate(listener: ChannelEvents['close']): Subscription {
    let live = true;
    const error = this.#error;
    this.#defer(() => live && listener(error));
    const dispose = (): void => {
      live = false;
    };
    return { dispose, [Symbol.dispose]: dispose };
  }
}
