import type { Codec } from '@rpc/codec';
import { msgpackCodec } from '@rpc/codec-msgpack';
import {
  describeThrown,
  Connector,
  NO_LIMITS,
  parseCallMessage,
  PendingCalls,
  requestArray,
  RESPONSE,
  rpcError,
  type CallLimits,
  type CallMessage,
  withDeadline,
} from '@rpc/core';
import { Emitter, type Endpoint, type Loop, type RpcError, type Subscription, type TlsOptions } from '@rpc/loop';
import { connect, defaultLoop, type Connection, type ConnectOptions } from '@rpc/msg';
import { asyncError } from './errors.js';
import type { ArgsOf, ProcedureName, Procedures, Untyped, ValuesOf } from './procedures.js';

/** Where the server is: a TCP host (default localhost) and port, or a Unix socket path. */
export type AsyncServerAddress =
  | {
      /** The server's host name or IP address (default localhost). */
      readonly host?: string;
      /** The server's TCP port. */
      readonly port: number;
    }
  | {
      /** The path of the server's Unix socket. */
      readonly path: string;
    };

/**
 * What `new AsyncClient()` takes: where the server is, `@rpc/msg`'s connection options (`connectTimeoutMs`, limits,
 * `loop`), and the client's own.
 */
export type AsyncClientOptions = AsyncServerAddress &
  Omit<ConnectOptions, 'signal' | 'framing'> & {
    /** Connect over TLS with these node:tls options (`ca`, `servername`, client `key`/`cert`, ...). */
    readonly tls?: TlsOptions;
    /** Default deadline of each call in ms (none by default); callWith sets one per call. */
    readonly deadlineMs?: number;
    /** Calls waiting for their values at once; more are refused with RPC_TOO_MANY_CALLS (default 65536). */
    readonly maxCalls?: number;
    /** Message format (default: `@rpc`'s MessagePack); the server's must be the same. */
    readonly codec?: Codec;
  };

/** Told the values a procedure returned, or why the call failed. */
export type ReturnCallback<V extends readonly unknown[] = unknown[]> = (
  ...answer: [error: undefined, values: V] | [error: RpcError, values: undefined]
) => void;

/** The events of an {@link AsyncClient}, with their listeners' signatures: see {@link AsyncClient.on}. */
export interface AsyncClientEvents {
  /** connect() has connected. */
  connect: () => void;
  /** The connection closed: `error` says why, none for a clean end. Calls outstanding failed (RPC_DISCONNECTED). */
  disconnect: (error?: Error) => void;
  /**
   * The connection failed, or the server sent something that is not a return (then `disconnect` follows), or a
   * listener threw (ASYNC_LISTENER_FAILED).
   */
  error: (error: Error) => void;
}

/**
 * RPC::Async::Client: calls procedures, typed by the server's `Api`; many
 * may be outstanding, each answered when its procedure returns.
 */
export class AsyncClient<Api extends Procedures<Api> = Untyped> implements AsyncDisposable {
  readonly #options: AsyncClientOptions;
  readonly #codec: Codec;
  readonly #events = new Emitter<AsyncClientEvents>({
    onListenerError: (thrown, event) => {
      // A throwing `error` listener has nobody left to tell; another's throw is reported, not thrown into our socket.
      if (event === 'error') return;
      const text = `a '${event}' listener threw: ${describeThrown(thrown)}`;
      this.#events.emit('error', asyncError('ASYNC_LISTENER_FAILED', text, { cause: thrown }));
    },
  });
  readonly #loop: Loop;
  readonly #calls: PendingCalls<unknown[]>;
  readonly #connector = new Connector(() => this.#open());
  #conn: Connection | undefined;

  constructor(options: AsyncClientOptions) {
    this.#options = options;
    this.#codec = options.codec ?? msgpackCodec();
    this.#loop = options.loop ?? defaultLoop();
    this.#calls = new PendingCalls({ loop: this.#loop, maxCalls: options.maxCalls ?? 65536 });
  }

  /** Connects; resolves with the client. Again while connected is harmless; after a disconnect it reconnects. */
  connect(): Promise<this> {
    return this.#connector.connect();
  }

  /** Whether a connection is open now. */
  get connected(): boolean {
    return this.#conn !== undefined && !this.#conn.closed;
  }

  /** Calls waiting for their procedure to return. */
  get callsInFlight(): number {
    return this.#calls.size;
  }

  /** Calls `procedure`; resolves with the values it returned, rejects with RPC_REMOTE if the server refused. */
  call<K extends ProcedureName<Api>>(procedure: K, ...args: ArgsOf<Api[K]>): Promise<ValuesOf<Api[K]>> {
    return this.#call(NO_LIMITS, procedure, args);
  }

  /** call() with a deadline (`deadlineMs`, RPC_DEADLINE) or an AbortSignal (`signal`, RPC_CANCELLED). */
  callWith<K extends ProcedureName<Api>>(
    limits: CallLimits,
    procedure: K,
    ...args: ArgsOf<Api[K]>
  ): Promise<ValuesOf<Api[K]>> {
    return this.#call(limits, procedure, args);
  }

  #call<K extends ProcedureName<Api>>(
    limits: CallLimits,
    procedure: K,
    args: ArgsOf<Api[K]>,
  ): Promise<ValuesOf<Api[K]>> {
    const conn = this.#conn;
    if (conn === undefined || conn.closed)
      return Promise.reject(rpcError('RPC_NOT_CONNECTED', 'not connected: await connect() first'));
    const send = (id: number): void => conn.sendLater(this.#codec.encode(requestArray(id, procedure, args)));
    // RPC::Async has no way to tell the server we stopped waiting: a late return is dropped.
    return this.#calls.call(send, withDeadline(limits, this.#options.deadlineMs)) as Promise<ValuesOf<Api[K]>>;
  }

  /** Calls `procedure` and tells `done` the values or the error, in RPC::Async's callback style. */
  callback<K extends ProcedureName<Api>>(
    procedure: K,
    args: ArgsOf<Api[K]>,
    done: ReturnCallback<ValuesOf<Api[K]>>,
  ): void {
    this.call(procedure, ...args).then(
      (values) => done(undefined, values),
      (error: RpcError) => done(error, undefined),
    );
  }

  /** Subscribes to `connect`, `disconnect` and `error`. */
  on<K extends keyof AsyncClientEvents>(event: K, listener: AsyncClientEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  /** Closes the connection, after writing what is queued. */
  async close(): Promise<void> {
    await this.#connector.close();
    await this.#conn?.close();
  }

  /** close(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #open(): Promise<this> {
    const o = this.#options;
    const endpoint: Endpoint = 'path' in o ? { path: o.path } : { host: o.host, port: o.port };
    const conn = await connect({ ...endpoint, ...(o.tls ? { tls: o.tls } : {}) }, undefined, {
      ...o,
      loop: this.#loop,
    });
    conn.onMessage = (_conn, bytes) => {
      if (bytes !== undefined) this.#receive(conn, bytes);
    };
    conn.on('disconnect', (error) => {
      const message = error
        ? `connection lost: ${error.message}`
        : 'the server closed the connection with calls outstanding';
      this.#calls.rejectAll(rpcError('RPC_DISCONNECTED', message, { cause: error }));
      if (this.#conn === conn) {
        this.#conn = undefined;
        this.#connector.lost(); // connect() may try again
      }
      if (error) this.#events.emit('error', error);
      this.#events.emit('disconnect', error);
    });
    this.#conn = conn;
    this.#events.emit('connect');
    return this;
  }

  #receive(conn: Connection, bytes: Uint8Array): void {
    let answer: CallMessage | undefined;
    try {
      answer = parseCallMessage(this.#codec.decode(bytes));
    } catch {
      answer = undefined;
    }
    if (answer?.type !== RESPONSE || !(answer.error === null || typeof answer.error === 'string')) {
      return conn.destroy(asyncError('ASYNC_BAD_MESSAGE', 'the server sent something that is not a return'));
    }
    if (answer.error !== null)
      this.#calls.reject(answer.id, rpcError('RPC_REMOTE', answer.error, { data: answer.error }));
    else if (Array.isArray(answer.result)) this.#calls.resolve(answer.id, answer.result);
    else conn.destroy(asyncError('ASYNC_BAD_MESSAGE', 'a return whose values are not a list'));
  }
}
