import type { Answering } from './answering.js';

/**
 * The results a connection's pipelined calls may name (`exec` with `on`):
 * each call sent with `pipe` is kept, answered or not, until the client
 * sends `finish` for it. At most `max` are kept; past it the oldest goes,
 * and a call naming it is refused, so a client that never finishes only
 * hurts itself.
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

  keep(id: number, answer: Answering): void {
    if (this.#kept.size >= this.#max) this.#kept.delete(this.#kept.keys().next().value as number);
    this.#kept.set(id, answer);
  }

  get(id: number): Answering | undefined {
    return this.#kept.get(id);
  }

  finish(ids: readonly number[]): void {
    for (const id of ids) this.#kept.delete(id);
  }

  clear(): void {
    this.#kept.clear();
  }
}
