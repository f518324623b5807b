import type { Connection } from '@rpc/msg';

/** Brands a Caller with the values its procedure returns; never set, only typed. */
declare const values: unique symbol;

/**
 * Who is waiting for a procedure's values: RPC::Async's opaque `$caller`.
 * Pass it to `server.return(caller, ...values)`, once, now or later.
 */
export class Caller<V extends readonly unknown[] = unknown[]> {
  /** Absent at run time: it only carries the procedure's values for the compiler, so that return() checks them. */
  declare readonly [values]?: V;
  /** @internal */
  readonly connection: Connection;
  /** @internal */
  readonly id: number;
  /** The name of the procedure called. */
  readonly procedure: string;
  #state: 'waiting' | 'returned' | 'given up' = 'waiting';
  #abort: AbortController | undefined;
  #reason: Error | undefined;

  /** @internal */
  constructor(connection: Connection, id: number, procedure: string) {
    this.connection = connection;
    this.id = id;
    this.procedure = procedure;
  }

  /** True once return() was called for this caller. */
  get returned(): boolean {
    return this.#state === 'returned';
  }

  /**
   * Aborts when nobody waits for the values any more: the client went (RPC_DISCONNECTED), or the server closed past
   * its shutdownTimeoutMs (RPC_SHUTDOWN). A return after that is dropped. Made on first use.
   */
  get signal(): AbortSignal {
    if (this.#abort === undefined) {
      this.#abort = new AbortController();
      if (this.#reason !== undefined) this.#abort.abort(this.#reason);
    }
    return this.#abort.signal;
  }

  /**
   * @internal marks the caller answered: 'send' the values, 'drop' them (given up on: nobody waits), or 'twice' (a
   * second return).
   */
  settle(): 'send' | 'drop' | 'twice' {
    const state = this.#state;
    if (state === 'returned') return 'twice';
    this.#state = 'returned';
    return state === 'waiting' ? 'send' : 'drop';
  }

  /** @internal stops waiting for the procedure; false if it has returned already. */
  giveUp(reason: Error): boolean {
    if (this.#state !== 'waiting') return false;
    this.#state = 'given up';
    this.#reason = reason;
    this.#abort?.abort(reason);
    return true;
  }
}
