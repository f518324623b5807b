import type { Codec } from '@rpc/codec';
import type { Address, Loop, Timer } from '@rpc/loop';
import type { Connection } from '@rpc/msg';
import { mprpcError, remoteError } from './errors.js';
import { NOTIFICATION, parseMessage, REQUEST, RESPONSE } from './messages.js';

/** AnyEvent::MPRPC's result condvar: answer a request exactly once, with a result or an error. */
export interface MprpcResult {
  result(value: unknown): void;
  error(error: unknown): void;
}

/**
 * A method: `res` answers a request, and is undefined for a notification
 * (nothing is sent back). The return value is ignored; a throw answers with
 * the error's message (or, for a notification, is reported to onError).
 */
export type MprpcHandler = (res: MprpcResult | undefined, ...params: unknown[]) => void;

export interface PeerOptions {
  readonly codec: Codec;
  readonly loop: Loop;
  /** Requests from this peer being served at once; more are answered with an error at once. */
  readonly maxInFlight: number;
  /** Our calls waiting for an answer at once; more are refused (MPRPC_TOO_MANY_CALLS). */
  readonly maxCalls: number;
  /** Default deadline of our calls, in ms. */
  readonly timeoutMs: number | undefined;
  handlerFor(method: string): MprpcHandler | undefined;
  /** Something this peer did wrong, or a handler that threw on a notification; `fatal` when the connection closes over it. */
  onError(peer: MprpcPeer, fatal: boolean, message: string): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: Timer | undefined;
}

/** An error a handler gave, as it goes on the wire: MessagePack cannot carry an Error, so its message does. */
function wireError(error: unknown): unknown {
  return error instanceof Error ? error.message : (error ?? 'error');
}

/**
 * One MessagePack-RPC connection, either side: it serves the peer's
 * requests and notifications with the registered methods, and makes calls
 * of its own, matched to their answers by msgid in any order.
 */
export class MprpcPeer {
  readonly #conn: Connection;
  readonly #options: PeerOptions;
  readonly #pending = new Map<number, Pending>();
  #serving = 0;
  #nextId = 0;

  constructor(conn: Connection, options: PeerOptions) {
    this.#conn = conn;
    this.#options = options;
  }

  get remote(): Address {
    return this.#conn.remote;
  }

  get connected(): boolean {
    return !this.#conn.closed;
  }

  /** Calls waiting for an answer from the peer. */
  get callsInFlight(): number {
    return this.#pending.size;
  }

  /** Calls `method` on the peer; resolves with its result, rejects with the error (MPRPC_*). */
  call(method: string, params: unknown[], options: { timeoutMs?: number } = {}): Promise<unknown> {
    if (this.#conn.closed) return Promise.reject(mprpcError('MPRPC_NOT_CONNECTED', 'not connected'));
    if (this.#pending.size >= this.#options.maxCalls) {
      return Promise.reject(mprpcError('MPRPC_TOO_MANY_CALLS', `${this.#pending.size} calls are in flight; the limit is ${this.#options.maxCalls}`));
    }
    let msgid = this.#nextId;
    while (this.#pending.has(msgid)) msgid = (msgid + 1) >>> 0;
    this.#nextId = (msgid + 1) >>> 0;
    return new Promise((resolve, reject) => {
      this.#send([REQUEST, msgid, method, params]); // a throw (too large, unencodable) rejects, with nothing left behind
      const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs;
      const timer =
        timeoutMs === undefined
          ? undefined
          : this.#options.loop.timer(timeoutMs, () => {
              this.#pending.delete(msgid);
              reject(mprpcError('MPRPC_DISCONNECTED', `no answer to ${method} within ${timeoutMs} ms`));
            });
      this.#pending.set(msgid, { resolve, reject, timer });
    });
  }

  /** Sends a notification: no answer comes back. */
  notify(method: string, params: unknown[]): void {
    if (this.#conn.closed) throw mprpcError('MPRPC_NOT_CONNECTED', 'not connected');
    this.#send([NOTIFICATION, method, params]);
  }

  close(): Promise<void> {
    return this.#conn.close();
  }

  /** Handles one message from the peer. */
  receive(bytes: Uint8Array): void {
    let message;
    try {
      message = parseMessage(this.#options.codec.decode(bytes));
    } catch (error) {
      return this.#fatal(`undecodable message: ${(error as Error).message}`);
    }
    if (message === undefined) return this.#fatal('a message that is not MessagePack-RPC (request, response or notification)');
    if (message.type === RESPONSE) {
      const pending = this.#pending.get(message.msgid);
      if (pending === undefined) return; // answered after we stopped waiting
      this.#pending.delete(message.msgid);
      pending.timer?.cancel();
      if (message.error === null || message.error === undefined) pending.resolve(message.result);
      else pending.reject(remoteError(message.error));
    } else if (message.type === REQUEST) {
      this.#serve(message.msgid, message.method, message.params);
    } else {
      this.#notified(message.method, message.params);
    }
  }

  /** The connection closed: calls still waiting fail. */
  closed(error?: Error): void {
    const failure = mprpcError('MPRPC_DISCONNECTED', error ? `connection lost: ${error.message}` : 'the connection closed with the call in flight', { cause: error });
    for (const pending of this.#pending.values()) {
      pending.timer?.cancel();
      pending.reject(failure);
    }
    this.#pending.clear();
  }

  #serve(msgid: number, method: string, params: unknown[]): void {
    const handler = this.#options.handlerFor(method);
    if (handler === undefined) return this.#send([RESPONSE, msgid, `Method not found: ${method}`, null]);
    if (this.#serving >= this.#options.maxInFlight) {
      return this.#send([RESPONSE, msgid, `too many calls in flight (the limit is ${this.#options.maxInFlight})`, null]);
    }
    this.#serving++;
    let answered = false;
    const answer = (error: unknown, result: unknown): void => {
      if (answered) throw mprpcError('MPRPC_ALREADY_ANSWERED', `request ${msgid} (${method}) was answered already`);
      answered = true;
      this.#serving--;
      if (this.#conn.closed) return;
      try {
        this.#send([RESPONSE, msgid, error, result]);
      } catch (failure) {
        // A result MessagePack cannot carry, or one over the size limit: the caller still gets an answer.
        this.#send([RESPONSE, msgid, `cannot send the result of ${method}: ${(failure as Error).message}`, null]);
      }
    };
    const res: MprpcResult = { result: (value) => answer(null, value ?? null), error: (error) => answer(wireError(error), null) };
    try {
      handler(res, ...params);
    } catch (error) {
      if (!answered) res.error(error);
    }
  }

  #notified(method: string, params: unknown[]): void {
    const handler = this.#options.handlerFor(method);
    if (handler === undefined) return; // notifications are fire and forget: nobody to tell
    try {
      handler(undefined, ...params);
    } catch (error) {
      this.#options.onError(this, false, `notification ${method} failed: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  #send(message: unknown[]): void {
    this.#conn.sendLater(this.#options.codec.encode(message));
  }

  /** Closes the connection over `message`; the owner hears of it, once, when the connection has closed. */
  #fatal(message: string): void {
    this.#conn.destroy(mprpcError('MPRPC_BAD_MESSAGE', message));
  }
}
