import type { Connection } from '@rpc/msg';

/** Brands a Caller with the values its procedure returns; never set, only typed. */
declare const values: unique symbol;

/**
 * Who is waiting for a procedure's values: RPC::Async's opaque `$caller`.
 * Pass it to `server.return(caller, ...values)`, once, now or later.
 */
export class Caller<V extends readonly unknown[] = unknown[]> {
  declare readonly [values]?: V;
  /** @internal */
  readonly connection: Connection;
  /** @internal */
  readonly id: number;
  readonly procedure: string;
  #returned = false;

  /** @internal */
  constructor(connection: Connection, id: number, procedure: string) {
    this.connection = connection;
    this.id = id;
    this.procedure = procedure;
  }

  /** True once return() was called for this caller. */
  get returned(): boolean {
    return this.#returned;
  }

  /** @internal marks the caller answered; false if it already was. */
  settle(): boolean {
    if (this.#returned) return false;
    this.#returned = true;
    return true;
  }
}
