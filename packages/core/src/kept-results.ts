import type { Answering } from './answering.js';

/**
 * The results a connection's pipelined calls may name (`exec` with `on`):
 * each call sent with `pipe` is kept, answered or not, until the client
 * sends `finish` for it. At most `max` are kept; past it the oldest answered
 * one goes (the oldest of all when none has answered), and a call naming it
 * is refused, so a client that never finishes only hurts itself.
 */
export class KeptResults {
  readonly #max: number;
  readonly #kept = new Map<number, Answering>();

  constructor(max: number) {
    this.#max = max;
  }

  /** Results kept now. */
  get size(): number {
    return this.#kept.size;
  }

  /** Keeps the answer of call `id`, given or promised. */
  keep(id: number, answer: Answering): void {
    if (this.#kept.size >= this.#max) this.#kept.delete(this.#oldest());
    this.#kept.set(id, answer);
    // Once answered, the answer itself is kept: eviction can tell it from a call still running.
    if (answer instanceof Promise)
      void answer.then((settled) => this.#kept.get(id) === answer && this.#kept.set(id, settled));
  }

  #oldest(): number {
    for (const [id, answer] of this.#kept) if (!(answer instanceof Promise)) return id;
    return this.#kept.keys().next().value as number;
  }

  /** The answer kept for call `id`, or undefined when there is none (finished, evicted, never kept). */
  get(id: number): Answering | undefined {
    return this.#kept.get(id);
  }

  /** Drops the answers of these calls: the client needs them no more. */
  finish(ids: readonly number[]): void {
    for (const id of ids) this.#kept.delete(id);
  }

  /** Drops everything (the connection has gone). */
  clear(): void {
    this.#kept.clear();
  }
}
