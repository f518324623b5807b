import { AsyncLocalStorage } from 'node:async_hooks';
import type { Timer } from '@rpc/loop';
import type { ServerConnection } from './server-connection.js';

/**
 * One call being served: what Server.activeConnection and activeSignal
 * report while it runs, across its awaits. Its AbortSignal is made only
 * when someone asks for it, since most calls never look.
 */
export class Call {
  readonly connection: ServerConnection;
  /** The request id of an @rpc client; undefined for Perl clients, whose calls are answered in order. */
  readonly id: number | undefined;
  deadline: Timer | undefined;
  /** Its answer has been sent, or the server has given up on it: a later answer is dropped. */
  answered = false;
  #controller: AbortController | undefined;
  #reason: Error | undefined;

  constructor(connection: ServerConnection, id: number | undefined) {
    this.connection = connection;
    this.id = id;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#reason !== undefined) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** The client gave up on it, its deadline passed, or its client left: nobody waits for the answer. */
  get cancelled(): boolean {
    return this.#reason !== undefined;
  }

  cancel(reason: Error): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.deadline?.cancel();
    this.#controller?.abort(reason);
  }
}

/** The call whose code is running, kept per async call chain so that concurrent calls each see their own. */
export const activeCall = new AsyncLocalStorage<Call>();
