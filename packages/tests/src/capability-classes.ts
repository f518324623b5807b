import { exportClass } from '@rpc/core';
import { type RemoteStream, type RemoteTarget, type Stub, target, type Target } from '@rpc/server';

/** What a client's observer offers: the server calls it back. */
export interface Observer {
  seen(event: string): string;
}

/** A counter the server hands out by reference. */
export class Counter {
  #n = 0;
  increment(by = 1): number {
    this.#n += by;
    return this.#n;
  }
  _secret(): string {
    return 'never reachable';
  }
}

/** What the server's streams did: values pulled from their generators, and generators closed. */
export const produced = { values: 0, closed: 0 };

/** A notebook whose methods take callbacks, give functions, targets and streams, and copy themselves (pipelining). */
export class Feed {
  text: string;
  readonly #listeners = new Set<Stub<(event: string) => string>>();

  constructor(text = '') {
    this.text = text;
  }

  static new(text?: string): Feed {
    return new Feed(text);
  }

  write(more: string): string {
    this.text += more;
    return this.text;
  }

  read(): string {
    return this.text;
  }

  /** Takes another feed's text: a pipelined promise may stand for the feed. */
  append(other: Feed): string {
    this.text += other.text;
    return this.text;
  }

  /** An object returner: a new feed starting with this one's text. */
  copy(more: string): Feed {
    return new Feed(this.text + more);
  }

  fail(message: string): Feed {
    throw new Error(message);
  }

  /** Calls `fn` once per item and gives what it answered. */
  async map(items: string[], fn: Stub<(item: string) => string>): Promise<string[]> {
    const out: string[] = [];
    for (const item of items) out.push(await fn(item));
    return out;
  }

  /** Calls `fn` and gives back what it answered, whatever it is. */
  async ask(fn: Stub<() => unknown>): Promise<unknown> {
    return await fn();
  }

  subscribe(listener: Stub<(event: string) => string>): number {
    this.#listeners.add(listener);
    return this.#listeners.size;
  }

  /** Tells every listener; a listener whose call fails (released, gone) is dropped. */
  async publish(event: string): Promise<string[]> {
    const answers: string[] = [];
    for (const listener of this.#listeners) {
      try {
        answers.push(await listener(event));
      } catch (error) {
        this.#listeners.delete(listener);
        answers.push(`dropped: ${(error as { code?: string }).code}`);
      }
    }
    return answers;
  }

  unsubscribeAll(): void {
    for (const listener of this.#listeners) listener.release();
    this.#listeners.clear();
  }

  async watch(observer: RemoteTarget<Observer>, event: string): Promise<string> {
    return await observer.seen(event);
  }

  /** Gives a function back: the client calls it over the connection. */
  makeCounter(start: number): (by: number) => number {
    let n = start;
    return (by) => (n += by);
  }

  /** Gives a function back after `ms`: a call that can be given up on while its answer is on the way. */
  async slowCounter(ms: number): Promise<(by: number) => number> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return (by) => by;
  }

  counter(): Target<Counter> {
    return target(new Counter());
  }

  /** Gives back what it was given: the client's own function, which arrives there as itself. */
  echo<T>(value: T): T {
    return value;
  }

  async *count(n: number): AsyncGenerator<number> {
    for (let i = 0; i < n; i++) yield i;
  }

  /** Counts every value it makes and every time it is closed, in `produced`. */
  async *ticks(n: number): AsyncGenerator<number> {
    try {
      for (let i = 0; i < n; i++) {
        produced.values++;
        yield i;
      }
    } finally {
      produced.closed++;
    }
  }

  async *failing(after: number): AsyncGenerator<number> {
    for (let i = 0; i < after; i++) yield i;
    throw new Error(`failed after ${after}`);
  }

  async sum(values: RemoteStream<number>): Promise<number> {
    let total = 0;
    for await (const value of values) total += value;
    return total;
  }

  /** Reads `n` values of the stream, then stops reading. */
  async take(values: RemoteStream<number>, n: number): Promise<number[]> {
    const out: number[] = [];
    for await (const value of values) {
      out.push(value);
      if (out.length === n) break;
    }
    return out;
  }
}

export const feed = exportClass(Feed, {
  new: '_constructor',
  write: 1,
  read: 1,
  append: 1,
  copy: '_object',
  fail: '_object',
  map: 1,
  ask: 1,
  subscribe: 1,
  publish: 1,
  unsubscribeAll: 1,
  watch: 1,
  makeCounter: 1,
  slowCounter: 1,
  counter: 1,
  echo: 1,
  count: 1,
  failing: 1,
  ticks: 1,
  sum: 1,
  take: 1,
});
