import { rpcError } from './errors.js';

/**
 * The connect() and close() every client shares: one connection at a time,
 * so connect() while connecting or connected gives the same one; after the
 * connection is lost, connect() makes a new one; after close(), none.
 */
export class Connector<T> {
  readonly #open: () => Promise<T>;
  #current: Promise<T> | undefined;
  #closed = false;

  constructor(open: () => Promise<T>) {
    this.#open = open;
  }

  /**
   * The connection: the current one, or a new one when there is none; rejects with RPC_CLOSED after close(). A failed
   * attempt is forgotten, so the next call tries again.
   */
  connect(): Promise<T> {
    if (this.#closed) return Promise.reject(rpcError('RPC_CLOSED', 'the client was closed; make a new one'));
    this.#current ??= this.#open().catch((error: unknown) => {
      this.#current = undefined;
      throw error;
    });
    return this.#current;
  }

  /** The connection was lost: the next connect() makes a new one. */
  lost(): void {
    this.#current = undefined;
  }

  /** Allows no more connections; resolves with the current one, if any, for the caller to close. */
  async close(): Promise<T | undefined> {
    this.#closed = true;
    return this.#current?.catch(() => undefined);
  }
}
