import { describeThrown, Connector, NO_LIMITS, rpcError, type CallLimits } from '@rpc/core';
import { Emitter, type Subscription } from '@rpc/loop';
import { connect, defaultLoop } from '@rpc/msg';
import { mprpcCodec } from './codec.js';
import { endpointOf } from './endpoint.js';
import { mprpcError } from './errors.js';
import { msgpackValues } from './framing.js';
import type { Handlers, MethodName, Methods, MprpcHandler, ParamsOf, ResultOf, Untyped } from './methods.js';
import { resolveHandlerOptions, type CommonOptions } from './options.js';
import { MprpcPeer } from './peer.js';

/** What `new MprpcClient()` takes: where the server is, and the options servers and clients share. */
export interface MprpcClientOptions extends CommonOptions {
  /** The server's host (default 127.0.0.1), or `'unix/'` with `port` a socket path. */
  readonly host?: string;
  /** TCP port or Unix socket path. */
  readonly port: number | string;
  /** Give up connecting after this many ms (LOOP_CONNECT_TIMEOUT). */
  readonly connectTimeoutMs?: number;
}

/** The events of an {@link MprpcClient}, with their listeners' signatures: see {@link MprpcClient.on}. */
export interface MprpcClientEvents {
  /** connect() has connected. */
  connect: () => void;
  /** The connection closed: `error` says why, none for a clean end. Calls in flight failed (RPC_DISCONNECTED). */
  disconnect: (error?: Error) => void;
  /**
   * The connection failed or the server broke the protocol (`disconnect` follows), or a notification handler threw,
   * or another listener did (MPRPC_LISTENER_FAILED).
   */
  error: (error: Error) => void;
}

/**
 * AnyEvent::MPRPC::Client: calls (answers matched by id, in any order, many
 * in flight) and notifications to a MessagePack-RPC server such as
 * `nvim --listen`, typed by the server's methods (`Remote`). The server may
 * call back the methods registered with regCb (`Local`).
 */
export class MprpcClient<Remote extends Methods<Remote> = Untyped, Local extends Methods<Local> = Untyped>
  implements AsyncDisposable
{
  readonly #options: MprpcClientOptions;
  readonly #handlers = new Map<string, MprpcHandler>();
  readonly #events = new Emitter<MprpcClientEvents>({
    onListenerError: (thrown, event) => {
      // A throwing `error` listener has nobody left to tell; another's throw is reported, not thrown into our socket.
      if (event === 'error') return;
      const text = `a '${event}' listener threw: ${describeThrown(thrown)}`;
      this.#events.emit('error', mprpcError('MPRPC_LISTENER_FAILED', text, { cause: thrown }));
    },
  });
  readonly #connector = new Connector(() => this.#open());
  #peer: MprpcPeer<Remote> | undefined;

  constructor(options: MprpcClientOptions) {
    this.#options = options;
    resolveHandlerOptions(options.handlerOptions); // a bad limit is refused now, not at connect()
  }

  /** Connects; resolves with the client. Again while connected is harmless; after a disconnect it reconnects. */
  connect(): Promise<this> {
    return this.#connector.connect();
  }

  /** Whether a connection is open now. */
  get connected(): boolean {
    return this.#peer?.connected ?? false;
  }

  /** Our calls waiting for an answer. */
  get callsInFlight(): number {
    return this.#peer?.callsInFlight ?? 0;
  }

  /** Calls `method` with `params`; resolves with the result, rejects with RPC_REMOTE (`data`: the server's error). */
  call<K extends MethodName<Remote>>(method: K, ...params: ParamsOf<Remote[K]>): Promise<ResultOf<Remote[K]>> {
    if (this.#peer === undefined)
      return Promise.reject(rpcError('RPC_NOT_CONNECTED', 'not connected: await connect() first'));
    return this.#peer.request(NO_LIMITS, method, params);
  }

  /** call() with a deadline (`deadlineMs`, RPC_DEADLINE) or an AbortSignal (`signal`, RPC_CANCELLED). */
  callWith<K extends MethodName<Remote>>(
    limits: CallLimits,
    method: K,
    ...params: ParamsOf<Remote[K]>
  ): Promise<ResultOf<Remote[K]>> {
    if (this.#peer === undefined)
      return Promise.reject(rpcError('RPC_NOT_CONNECTED', 'not connected: await connect() first'));
    return this.#peer.request(limits, method, params);
  }

  /** Sends a notification (no answer comes back). */
  notify<K extends MethodName<Remote>>(method: K, ...params: ParamsOf<Remote[K]>): void {
    if (this.#peer === undefined) throw rpcError('RPC_NOT_CONNECTED', 'not connected: await connect() first');
    this.#peer.notify(method, ...params);
  }

  /** Methods the server may call on us (reg_cb). */
  regCb(callbacks: Handlers<Local>): this {
    for (const [name, handler] of Object.entries(callbacks)) {
      if (handler !== undefined) this.#handlers.set(name, handler as MprpcHandler);
    }
    return this;
  }

  /** Subscribes to `connect`, `disconnect` and `error`. */
  on<K extends keyof MprpcClientEvents>(event: K, listener: MprpcClientEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  /** Closes the connection, after writing what is queued. */
  async close(): Promise<void> {
    await this.#connector.close();
    await this.#peer?.close();
  }

  /** close(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #open(): Promise<this> {
    const o = this.#options;
    const limits = resolveHandlerOptions(o.handlerOptions);
    const loop = o.loop ?? defaultLoop();
    const conn = await connect(endpointOf(o.port, o.host ?? '127.0.0.1', o.tls), undefined, {
      ...limits.connection,
      loop,
      maxPacketSize: limits.maxMessageSize,
      framing: msgpackValues,
      connectTimeoutMs: o.connectTimeoutMs,
    });
    const peer = new MprpcPeer<Remote>(conn, {
      ...limits,
      codec: mprpcCodec(limits.extensions),
      loop,
      deadlineMs: o.deadlineMs,
      handlerFor: (method) => this.#handlers.get(method),
      onError: (error) => this.#events.emit('error', error),
    });
    conn.on('disconnect', (error) => {
      if (this.#peer === peer) {
        this.#peer = undefined;
        this.#connector.lost(); // connect() may try again
      }
      if (error) this.#events.emit('error', error);
      this.#events.emit('disconnect', error);
    });
    this.#peer = peer;
    this.#events.emit('connect');
    return this;
  }
}
