import { rpcError } from './errors.js';

/** How a {@link RemoteStream} talks to the peer producing it. */
export interface StreamLink {
  /** Lets the producer send `credit` more values. */
  pull(credit: number): void;
  /** Tells the producer to stop: the consumer wants no more. */
  cancel(): void;
}

interface Waiter<T> {
  resolve(result: IteratorResult<T, undefined>): void;
  reject(error: Error): void;
}

const DONE: IteratorResult<never, undefined> = Object.freeze({ done: true, value: undefined });

/**
 * A stream a peer produces, read with `for await`. The producer may send
 * only as many values as the consumer has room for (the window), so a slow
 * consumer holds at most a window of values and slows the producer down.
 * Leaving the loop early (`break`, `return`, a throw) or `cancel()` stops
 * the producer; the producer's error is thrown where the values are read.
 */
export class RemoteStream<T> implements AsyncIterableIterator<T, undefined>, AsyncDisposable, Disposable {
  readonly #window: number;
  readonly #link: StreamLink;
  #buffer: T[] = [];
  #head = 0;
  /** Values the producer may still send. */
  #granted = 0;
  /** Values read since credit was last given back. */
  #read = 0;
  #started = false;
  #ended = false;
  #error: Error | undefined;
  #waiter: Waiter<T> | undefined;
  readonly #signal: AbortSignal | undefined;

  /** @internal Made when a stream reference arrives; `signal` (the call's) cancels it with RPC_CANCELLED. */
  constructor(window: number, link: StreamLink, signal?: AbortSignal) {
    this.#window = window;
    this.#link = link;
    this.#signal = signal;
    // An aborted signal fails the stream at its first read; the caller gives the reference back.
    if (signal?.aborted) this.fail(rpcError('RPC_CANCELLED', 'stream cancelled', { cause: signal.reason }));
    else signal?.addEventListener('abort', this.#abort, { once: true });
  }

  readonly #abort = (): void => {
    const producing = !this.#ended;
    this.fail(rpcError('RPC_CANCELLED', 'stream cancelled', { cause: this.#signal?.reason }));
    if (producing) this.#link.cancel();
  };

  /** The stream itself: it can be read once, by one `for await`. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Values received and not read yet: never more than the window. */
  get buffered(): number {
    return this.#buffer.length - this.#head;
  }

  /** The next value, once it has arrived; the producer's error is thrown here. */
  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#head < this.#buffer.length) return Promise.resolve({ done: false, value: this.#take() });
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(DONE);
    if (!this.#started) {
      this.#started = true;
      this.#granted = this.#window;
      this.#link.pull(this.#window);
    }
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  /** Leaving a `for await` early: the producer is told to stop. */
  return(): Promise<IteratorResult<T, undefined>> {
    this.cancel();
    return Promise.resolve(DONE);
  }

  /** Stops the stream: buffered values are dropped, the producer is told, and reading ends. */
  cancel(): void {
    if (this.#ended && this.#head >= this.#buffer.length) return;
    const producing = !this.#ended;
    this.#finish(undefined);
    if (producing) this.#link.cancel();
  }

  /** cancel(), for `using`. */
  [Symbol.dispose](): void {
    this.cancel();
  }

  /** cancel(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    this.cancel();
    return Promise.resolve();
  }

  /** @internal Values from the producer; `done` ends the stream, with `error` when it failed. */
  receive(values: readonly unknown[], done: boolean, error: Error | undefined): void {
    if (this.#ended) return; // cancelled: what was on its way is dropped
    if (values.length > this.#granted) {
      this.fail(rpcError('RPC_BAD_ANSWER', `the producer sent ${values.length} values; only ${this.#granted} fit`));
      this.#link.cancel();
      return;
    }
    this.#granted -= values.length;
    for (const value of values) this.#buffer.push(value as T);
    if (done) {
      this.#ended = true;
      this.#error = error;
    }
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    if (this.#head < this.#buffer.length) {
      this.#waiter = undefined;
      waiter.resolve({ done: false, value: this.#take() });
    } else if (done) {
      this.#waiter = undefined;
      if (error === undefined) waiter.resolve(DONE);
      else waiter.reject(error);
    }
  }

  /** @internal Ends the stream with `error` (an abort, a lost connection, a bad producer); buffered values go. */
  fail(error: Error): void {
    if (this.#ended && this.#error !== undefined) return;
    this.#finish(error);
  }

  #finish(error: Error | undefined): void {
    this.#signal?.removeEventListener('abort', this.#abort);
    this.#ended = true;
    this.#error = error;
    this.#buffer = [];
    this.#head = 0;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter === undefined) return;
    if (error === undefined) waiter.resolve(DONE);
    else waiter.reject(error);
  }

  #take(): T {
    const value = this.#buffer[this.#head] as T;
    this.#buffer[this.#head++] = undefined as T;
    if (this.#head === this.#buffer.length) {
      this.#buffer = [];
      this.#head = 0;
    }
    // Credit goes back in halves of the window: one small message per half, not one per value.
    if (!this.#ended && ++this.#read >= Math.max(1, this.#window >> 1)) {
      this.#granted += this.#read;
      this.#link.pull(this.#read);
      this.#read = 0;
    }
    return value;
  }
}
