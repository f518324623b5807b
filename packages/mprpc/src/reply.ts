import { mprpcError } from './errors.js';
import type { MprpcResult } from './methods.js';

/** An error a handler gave, as it goes on the wire: MessagePack cannot carry an Error, so its message does. */
function handlerError(error: unknown): unknown {
  return error instanceof Error ? error.message : (error ?? 'error');
}

/** Where a Reply's answer goes (the peer that serves the request): one object for all its requests, no closure. */
export interface ReplyOwner {
  replied(reply: Reply, error: unknown, result: unknown): void;
}

/**
 * One request of the peer being served: the `res` its handler answers through, exactly once. Once the request is
 * given up (its connection went, or the server closed past its shutdownTimeoutMs), `signal` aborts and a late answer
 * is dropped without a word: the handler did nothing wrong.
 */
export class Reply implements MprpcResult {
  readonly id: number;
  readonly method: string;
  readonly #owner: ReplyOwner;
  #state: 'serving' | 'answered' | 'given up' = 'serving';
  #abort: AbortController | undefined;
  #reason: Error | undefined;

  constructor(id: number, method: string, owner: ReplyOwner) {
    this.id = id;
    this.method = method;
    this.#owner = owner;
  }

  /** Made on first use: most handlers never look. */
  get signal(): AbortSignal {
    if (this.#abort === undefined) {
      this.#abort = new AbortController();
      if (this.#reason !== undefined) this.#abort.abort(this.#reason);
    }
    return this.#abort.signal;
  }

  get serving(): boolean {
    return this.#state === 'serving';
  }

  result(value: unknown): void {
    this.#settle(null, value);
  }

  error(error: unknown): void {
    this.#settle(handlerError(error), null);
  }

  /** Stops waiting for the handler: false if it had answered already. */
  giveUp(reason: Error): boolean {
    if (this.#state !== 'serving') return false;
    this.#state = 'given up';
    this.#reason = reason;
    this.#abort?.abort(reason);
    return true;
  }

  #settle(error: unknown, result: unknown): void {
    const state = this.#state;
    if (state === 'answered') {
      throw mprpcError('MPRPC_ALREADY_ANSWERED', `request ${this.id} (${this.method}) was answered already`);
    }
    this.#state = 'answered';
    if (state === 'serving') this.#owner.replied(this, error, result);
  }
}
