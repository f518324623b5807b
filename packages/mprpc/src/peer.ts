import type { Codec } from '@rpc/codec';
import {
  notificationArray,
  NOTIFICATION,
  parseCallMessage,
  PendingCalls,
  REQUEST,
  requestArray,
  responseArray,
  RESPONSE,
  rpcError,
  type CallLimits,
  type CallMessage,
  type NotificationMessage,
  type RequestMessage,
} from '@rpc/core';
import type { Address, Loop, RpcError } from '@rpc/loop';
import type { Connection } from '@rpc/msg';
import { mprpcError, remoteError } from './errors.js';
import type { MethodName, Methods, MprpcHandler, MprpcResult, ParamsOf, ResultOf, Untyped } from './methods.js';

export interface PeerOptions {
  readonly codec: Codec;
  /** Runs the deadlines of our calls. */
  readonly loop: Loop;
  /** Requests from this peer being served at once; more are answered with an error at once. */
  readonly maxInFlight: number;
  /** Our calls waiting for an answer at once; more are refused (RPC_TOO_MANY_CALLS). */
  readonly maxCalls: number;
  /** Default deadline of our calls, in ms. */
  readonly deadlineMs?: number | undefined;
  /** The method serving `method`, if there is one. */
  handlerFor(method: string): MprpcHandler | undefined;
  /** A request or notification is about to be served. */
  onCall?(message: RequestMessage | NotificationMessage): void;
  /** A handler threw on a notification (MPRPC_HANDLER_FAILED): nobody can be answered, the connection stays. */
  onError?(error: RpcError): void;
}

/** An error a handler gave, as it goes on the wire: MessagePack cannot carry an Error, so its message does. */
function wireError(error: unknown): unknown {
  return error instanceof Error ? error.message : (error ?? 'error');
}

/**
 * One MessagePack-RPC connection, either side: it serves the peer's
 * requests and notifications with the registered methods, and makes calls
 * of its own (typed by the peer's methods, `Remote`), matched to their
 * answers by id in any order. Made over a Connection, it takes the
 * connection's messages; when the connection goes, calls still waiting fail
 * with RPC_DISCONNECTED.
 */
export class MprpcPeer<Remote extends Methods<Remote> = Untyped> implements AsyncDisposable {
  readonly #conn: Connection;
  readonly #options: PeerOptions;
  readonly #calls: PendingCalls<unknown>;
  #serving = 0;

  constructor(conn: Connection, options: PeerOptions) {
    this.#conn = conn;
    this.#options = options;
    this.#calls = new PendingCalls({ loop: options.loop, maxCalls: options.maxCalls });
    conn.onMessage = (_conn, bytes) => {
      if (bytes !== undefined) this.#receive(bytes);
    };
    conn.on('disconnect', (error) => {
      const message = error ? `connection lost: ${error.message}` : 'the connection closed with the call in flight';
      this.#calls.rejectAll(rpcError('RPC_DISCONNECTED', message, { cause: error }));
    });
  }

  get remote(): Address {
    return this.#conn.remote;
  }

  get connected(): boolean {
    return !this.#conn.closed;
  }

  /** Our calls waiting for an answer from the peer. */
  get callsInFlight(): number {
    return this.#calls.size;
  }

  /** Calls `method` on the peer; resolves with its result, rejects with RPC_REMOTE (its error in `data`). */
  call<K extends MethodName<Remote>>(method: K, ...params: ParamsOf<Remote[K]>): Promise<ResultOf<Remote[K]>> {
    return this.callWith({}, method, ...params);
  }

  /** call() with a deadline (`deadlineMs`, RPC_DEADLINE) or an AbortSignal (`signal`, RPC_CANCELLED). */
  callWith<K extends MethodName<Remote>>(
    limits: CallLimits,
    method: K,
    ...params: ParamsOf<Remote[K]>
  ): Promise<ResultOf<Remote[K]>> {
    if (this.#conn.closed) return Promise.reject(rpcError('RPC_NOT_CONNECTED', 'not connected'));
    const deadlineMs = limits.deadlineMs ?? this.#options.deadlineMs;
    const send = (id: number): void => this.#send(requestArray(id, method, params));
    // MessagePack-RPC cannot tell the peer that we stopped waiting: a late answer is dropped.
    return this.#calls.call(send, { ...limits, deadlineMs }) as Promise<ResultOf<Remote[K]>>;
  }

  /** Sends a notification: no answer comes back. */
  notify<K extends MethodName<Remote>>(method: K, ...params: ParamsOf<Remote[K]>): void {
    if (this.#conn.closed) throw rpcError('RPC_NOT_CONNECTED', 'not connected');
    this.#send(notificationArray(method, params));
  }

  /** Closes the connection after writing what is queued. */
  close(): Promise<void> {
    return this.#conn.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #receive(bytes: Uint8Array): void {
    let message: CallMessage | undefined;
    try {
      message = parseCallMessage(this.#options.codec.decode(bytes));
    } catch (error) {
      return this.#fatal(`undecodable message: ${(error as Error).message}`, error);
    }
    if (message === undefined) {
      return this.#fatal('a message that is not MessagePack-RPC (request, response or notification)');
    }
    if (message.type === RESPONSE) {
      // An answer nobody waits for (any more: past its deadline, cancelled) is dropped.
      if (message.error === null || message.error === undefined) this.#calls.resolve(message.id, message.result);
      else this.#calls.reject(message.id, remoteError(message.error));
      return;
    }
    this.#options.onCall?.(message);
    if (message.type === REQUEST) this.#serve(message);
    else if (message.type === NOTIFICATION) this.#notified(message);
  }

  #serve({ id, method, params }: RequestMessage): void {
    const handler = this.#options.handlerFor(method);
    if (handler === undefined) return this.#send(responseArray(id, `Method not found: ${method}`, null));
    if (this.#serving >= this.#options.maxInFlight) {
      return this.#send(
        responseArray(id, `too many calls in flight (the limit is ${this.#options.maxInFlight})`, null),
      );
    }
    this.#serving++;
    let answered = false;
    const answer = (error: unknown, result: unknown): void => {
      if (answered) throw mprpcError('MPRPC_ALREADY_ANSWERED', `request ${id} (${method}) was answered already`);
      answered = true;
      this.#serving--;
      if (this.#conn.closed) return;
      try {
        this.#send(responseArray(id, error, result));
      } catch (failure) {
        // A result MessagePack cannot carry, or one over the size limit: the caller still gets an answer.
        this.#send(responseArray(id, `cannot send the result of ${method}: ${(failure as Error).message}`, null));
      }
    };
    const res: MprpcResult = {
      result: (value) => answer(null, value),
      error: (error) => answer(wireError(error), null),
    };
    try {
      handler(res, ...params);
    } catch (error) {
      if (!answered) res.error(error);
    }
  }

  #notified({ method, params }: NotificationMessage): void {
    const handler = this.#options.handlerFor(method);
    if (handler === undefined) return; // notifications are fire and forget: nobody to tell
    try {
      handler(undefined, ...params);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      this.#options.onError?.(
        mprpcError('MPRPC_HANDLER_FAILED', `notification ${method} failed: ${text}`, { cause: error }),
      );
    }
  }

  #send(message: unknown[]): void {
    this.#conn.sendLater(this.#options.codec.encode(message));
  }

  /** Closes the connection over the peer's mistake; its owner hears of it when the connection has closed. */
  #fatal(message: string, cause?: unknown): void {
    this.#conn.destroy(mprpcError('MPRPC_BAD_MESSAGE', message, { cause }));
  }
}
