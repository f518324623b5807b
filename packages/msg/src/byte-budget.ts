/**
 * Bytes that several connections may hold together (send queues and
 * partial messages): a server's memory bound, as opposed to each
 * connection's own. Connections charge what they hold and release it when
 * it is written, completed or dropped.
 */
export class ByteBudget {
  /** The most bytes the connections may hold together. */
  readonly limit: number;
  #used = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** The bytes held now. */
  get used(): number {
    return this.#used;
  }

  /** Whether `bytes` more fit. */
  fits(bytes: number): boolean {
    return this.#used + bytes <= this.limit;
  }

  /** Adds `bytes` (negative to release). */
  charge(bytes: number): void {
    this.#used += bytes;
  }
}
