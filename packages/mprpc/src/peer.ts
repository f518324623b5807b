import type { Codec } from '@rpc/codec';
import {
  describeThrown,
  NO_LIMITS,
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
  type ErrorCounts,
  type NotificationMessage,
  type RequestMessage,
  withDeadline,
} from '@rpc/core';
import { RpcError, type Address, type Loop } from '@rpc/loop';
import type { Connection } from '@rpc/msg';
import { mprpcError, remoteError, wireError } from './errors.js';
import type { MethodName, Methods, MprpcHandler, ParamsOf, ResultOf, Untyped } from './methods.js';
import { Reply } from './reply.js';

/**
 * What a peer is made with. A server hands the same object to all its peers (each allocates nothing of its own for
 * it), which is why the callbacks are told which peer calls them.
 */
export interface PeerOptions<Remote extends Methods<Remote> = Untyped> {
  /** Encodes and decodes the messages (MessagePack: see {@link mprpcCodec}). */
  readonly codec: Codec;
  /** Runs the deadlines of our calls. */
  readonly loop: Loop;
  /** Requests from this peer being served at once; more are answered with an error at once (RPC_LIMIT). */
  readonly maxInFlight: number;
  /** Our calls waiting for an answer at once; more are refused (RPC_TOO_MANY_CALLS). */
  readonly maxCalls: number;
  /** Default deadline of our calls, in ms. */
  readonly deadlineMs?: number | undefined;
  /** The method serving `method`, if there is one. */
  handlerFor(method: string): MprpcHandler | undefined;
  /** A request or notification is about to be served. */
  onCall?(message: RequestMessage | NotificationMessage, peer: MprpcPeer<Remote>): void;
  /**
   * Something went wrong that leaves the connection open: a handler threw on a notification (MPRPC_HANDLER_FAILED),
   * or onCall threw (MPRPC_LISTENER_FAILED).
   */
  onError?(error: RpcError, peer: MprpcPeer<Remote>): void;
  /**
   * Counts, by code, what is refused or fails without an event: requests past maxInFlight (RPC_LIMIT), answers that
   * could not be sent (RPC_ANSWER_FAILED), requests refused while the server closes (RPC_SHUTDOWN).
   */
  readonly errors?: ErrorCounts;
  /** A request stopped being served (answered, or given up): a closing server waits until none is left. */
  onSettled?(): void;
}

/** The connection is closing or closed: nobody is left to answer, and its caller hears RPC_DISCONNECTED. */
const closing = (failure: unknown): boolean => failure instanceof RpcError && failure.code === 'MSG_CLOSED';

/**
 * One MessagePack-RPC connection, either side: it serves the peer's
 * requests and notifications with the registered methods, and makes calls
 * of its own (typed by the peer's methods, `Remote`), matched to their
 * answers by id in any order. Made over a Connection, it takes the
 * connection's messages; when the connection goes, calls still waiting fail
 * with RPC_DISCONNECTED, and requests still served are given up.
 *
 * Nothing on the way out throws into a handler or a socket callback: an
 * answer that cannot be sent is replaced by an error answer, and if not even
 * that can be sent, the connection is closed with RPC_ANSWER_FAILED.
 */
export class MprpcPeer<Remote extends Methods<Remote> = Untyped> implements AsyncDisposable {
  readonly #conn: Connection;
  readonly #options: PeerOptions<Remote>;
  // A server keeps thousands of peers, most of them idle, many never calling back: what only calls and requests
  // need is made when first needed, as Event::RPC's ServerConnection does.
  /** Our calls waiting for answers: made at our first call (a server's peers seldom call their clients). */
  #calls: PendingCalls<unknown> | undefined;
  /** The peer's requests being served: one as itself, a Set only once several are served at once. */
  #serving: Reply | Set<Reply> | undefined;
  #served = 0;
  /** The server is closing: requests are refused with RPC_SHUTDOWN. */
  #refusing = false;

  constructor(conn: Connection, options: PeerOptions<Remote>) {
    this.#conn = conn;
    this.#options = options;
    // One closure for the messages and the close (told with `bytes` undefined), rather than a disconnect listener.
    conn.onMessage = (_conn, bytes, error) => {
      if (bytes !== undefined) this.#receive(bytes);
      else this.#lost(error);
    };
  }

  /** The peer's address. */
  get remote(): Address {
    return this.#conn.remote;
  }

  /** Whether the connection is still open. */
  get connected(): boolean {
    return !this.#conn.closed;
  }

  /** Our calls waiting for an answer from the peer. */
  get callsInFlight(): number {
    return this.#calls?.size ?? 0;
  }

  /** The peer's requests being served now. */
  get serving(): number {
    const serving = this.#serving;
    return serving === undefined ? 0 : serving instanceof Reply ? 1 : serving.size;
  }

  /** The peer's requests answered by their handlers so far. */
  get served(): number {
    return this.#served;
  }

  /** Calls `method` on the peer; resolves with its result, rejects with RPC_REMOTE (its error in `data`). */
  call<K extends MethodName<Remote>>(method: K, ...params: ParamsOf<Remote[K]>): Promise<ResultOf<Remote[K]>> {
    return this.request(NO_LIMITS, method, params);
  }

  /** call() with a deadline (`deadlineMs`, RPC_DEADLINE) or an AbortSignal (`signal`, RPC_CANCELLED). */
  callWith<K extends MethodName<Remote>>(
    limits: CallLimits,
    method: K,
    ...params: ParamsOf<Remote[K]>
  ): Promise<ResultOf<Remote[K]>> {
    return this.request(limits, method, params);
  }

  /** @internal callWith() with the params as an array (what the client's call() passes on). */
  request<K extends MethodName<Remote>>(
    limits: CallLimits,
    method: K,
    params: ParamsOf<Remote[K]>,
  ): Promise<ResultOf<Remote[K]>> {
    if (this.#conn.closed) return Promise.reject(rpcError('RPC_NOT_CONNECTED', 'not connected'));
    const send = (id: number): void => this.#send(requestArray(id, method, params));
    const calls = (this.#calls ??= new PendingCalls({ loop: this.#options.loop, maxCalls: this.#options.maxCalls }));
    // MessagePack-RPC cannot tell the peer that we stopped waiting: a late answer is dropped.
    return calls.call(send, withDeadline(limits, this.#options.deadlineMs)) as Promise<ResultOf<Remote[K]>>;
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

  /** close(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal The server is closing: requests are answered at once with RPC_SHUTDOWN, notifications dropped. */
  refuseCalls(): void {
    this.#refusing = true;
  }

  /** @internal Gives up on the requests still served (RPC_SHUTDOWN), answering each with that error. */
  giveUpCalls(message: string): void {
    const error = rpcError('RPC_SHUTDOWN', message);
    for (const reply of this.#giveUp(error)) {
      this.#options.errors?.count('RPC_SHUTDOWN');
      this.#answer(
        reply.id,
        reply.method,
        wireError('RPC_SHUTDOWN', `${message}; ${reply.method} did not finish`),
        null,
      );
    }
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
      // An answer nobody waits for (any more: past its deadline, cancelled; or never asked for) is dropped.
      if (message.error === null || message.error === undefined) this.#calls?.resolve(message.id, message.result);
      else this.#calls?.reject(message.id, remoteError(message.error));
      return;
    }
    try {
      this.#options.onCall?.(message, this);
    } catch (thrown) {
      const text = `onCall threw: ${describeThrown(thrown)}`;
      this.#report(mprpcError('MPRPC_LISTENER_FAILED', text, { cause: thrown })); // and the call is served
    }
    if (this.#refusing) this.#refuse(message);
    else if (message.type === REQUEST) this.#serve(message);
    else if (message.type === NOTIFICATION) this.#notified(message);
  }

  #serve({ id, method, params }: RequestMessage): void {
    const handler = this.#options.handlerFor(method);
    if (handler === undefined) return this.#answer(id, method, `Method not found: ${method}`, null);
    const max = this.#options.maxInFlight;
    if (this.serving >= max) {
      this.#options.errors?.count('RPC_LIMIT');
      return this.#answer(id, method, wireError('RPC_LIMIT', `too many calls in flight (the limit is ${max})`), null);
    }
    const reply = new Reply(id, method, this);
    const serving = this.#serving;
    if (serving === undefined) this.#serving = reply;
    else if (serving instanceof Reply) this.#serving = new Set([serving, reply]);
    else serving.add(reply);
    try {
      handler(reply, ...params);
    } catch (error) {
      if (reply.serving) reply.error(error);
    }
  }

  /** @internal A request's handler answered (its Reply's owner, a ReplyOwner): the answer goes out. */
  replied(reply: Reply, error: unknown, result: unknown): void {
    const serving = this.#serving;
    if (serving === reply) this.#serving = undefined;
    else if (serving instanceof Set) {
      serving.delete(reply);
      // Back to nothing once empty: a connection that served many at once and went idle keeps no Set.
      if (serving.size === 0) this.#serving = undefined;
    }
    this.#served++;
    this.#answer(reply.id, reply.method, error, result);
    this.#options.onSettled?.();
  }

  #notified({ method, params }: NotificationMessage): void {
    const handler = this.#options.handlerFor(method);
    if (handler === undefined) return; // notifications are fire and forget: nobody to tell
    try {
      handler(undefined, ...params);
    } catch (error) {
      const text = `notification ${method} failed: ${describeThrown(error)}`;
      this.#report(mprpcError('MPRPC_HANDLER_FAILED', text, { cause: error }));
    }
  }

  /** While the server closes: a request is answered with RPC_SHUTDOWN, a notification dropped. */
  #refuse(message: RequestMessage | NotificationMessage): void {
    this.#options.errors?.count('RPC_SHUTDOWN');
    if (message.type !== REQUEST) return;
    const text = `the server is shutting down; ${message.method} was not called`;
    this.#answer(message.id, message.method, wireError('RPC_SHUTDOWN', text), null);
  }

  /** The connection has closed: our calls fail with RPC_DISCONNECTED, and the requests being served are given up. */
  #lost(error: Error | undefined): void {
    const message = error ? `connection lost: ${error.message}` : 'the connection closed with the call in flight';
    const lost = rpcError('RPC_DISCONNECTED', message, { cause: error });
    this.#calls?.rejectAll(lost);
    this.#giveUp(lost);
  }

  /** Stops serving every request still in flight; returns those that were. */
  #giveUp(reason: Error): Reply[] {
    const serving = this.#serving;
    if (serving === undefined) return [];
    this.#serving = undefined;
    const given = (serving instanceof Reply ? [serving] : [...serving]).filter((reply) => reply.giveUp(reason));
    if (given.length > 0) this.#options.onSettled?.();
    return given;
  }

  /**
   * Sends an answer. One that cannot be sent (a result MessagePack cannot carry, over the size limit, or a full
   * queue) is replaced by an error answer, so that the caller hears of it; if not even that can be sent, the
   * connection is closed (RPC_ANSWER_FAILED). Nothing is thrown: a throw would land in the handler's code, or in a
   * timer's callback with nothing to catch it.
   */
  #answer(id: number, method: string, error: unknown, result: unknown): void {
    let failure: unknown;
    try {
      return this.#send(responseArray(id, error, result));
    } catch (thrown) {
      failure = thrown;
    }
    if (this.#conn.closed || closing(failure)) return;
    this.#options.errors?.count('RPC_ANSWER_FAILED');
    const text = `cannot send the result of ${method}: ${describeThrown(failure)}`;
    try {
      return this.#send(responseArray(id, wireError('RPC_ANSWER_FAILED', text), null));
    } catch (thrown) {
      failure = thrown;
    }
    if (this.#conn.closed || closing(failure)) return;
    const fatal = `${text}; nor an error in its place (${describeThrown(failure)}), so the connection was closed`;
    this.#conn.destroy(rpcError('RPC_ANSWER_FAILED', fatal, { cause: failure }));
  }

  #send(message: unknown[]): void {
    this.#conn.sendLater(this.#options.codec.encode(message));
  }

  /** Tells onError, which must not throw back into the connection's callbacks. */
  #report(error: RpcError): void {
    try {
      this.#options.onError?.(error, this);
    } catch {
      // An error hook that throws has nobody left to tell.
    }
  }

  /** Closes the connection over the peer's mistake; its owner hears of it when the connection has closed. */
  #fatal(message: string, cause?: unknown): void {
    this.#conn.destroy(mprpcError('MPRPC_BAD_MESSAGE', message, { cause }));
  }
}
