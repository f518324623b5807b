import type { Codec } from '@rpc/codec';
import { msgpackCodec } from '@rpc/codec-msgpack';
import {
  describeThrown,
  Drain,
  ErrorCounts,
  parseCallMessage,
  REQUEST,
  rpcError,
  type CallMessage,
  type RequestMessage,
  type ServerStats,
} from '@rpc/core';
import { Emitter, RpcError, type Address, type Endpoint, type Subscription } from '@rpc/loop';
import { Connection, msgError } from '@rpc/msg';
import { sendAnswer } from './answer.js';
import { Caller } from './caller.js';
import { Clients, type Client } from './clients.js';
import { ConnectionGate } from '@rpc/msg';
import { asyncError } from './errors.js';
import type { Multiplexer, MuxEvent, MuxListener, MuxListenOptions } from './multiplexer.js';
import type { Procedure, Procedures, Untyped } from './procedures.js';
import { checkServerOptions, TLS_HANDSHAKE_TIMEOUT_MS, type AsyncServerOptions } from './server-options.js';

export type { AsyncServerOptions } from './server-options.js';

/** The events of an {@link AsyncServer}, with their listeners' signatures: see {@link AsyncServer.on}. */
export interface AsyncServerEvents {
  /** A client was accepted by one of this server's listeners, or added with addClient. */
  connect: (connection: Connection) => void;
  /** A client's connection closed: `error` says why, undefined for a clean end. */
  disconnect: (connection: Connection, error?: Error) => void;
  /** A client called a procedure (known or not). */
  call: (connection: Connection, request: RequestMessage) => void;
  /**
   * Something went wrong with one client: a procedure threw on its call, or it sent something that is not a call
   * (then it was disconnected), its connection failed (a `disconnect` follows), or it was refused for passing a
   * connection limit (`connection` undefined). A listener that throws is reported here too (ASYNC_LISTENER_FAILED).
   */
  error: (error: RpcError, connection: Connection | undefined) => void;
}

/**
 * RPC::Async::Server: plain procedures that answer later, typed by `Api`.
 * It owns no loop: feed it the multiplexer's events with io(), which keeps
 * the events of its own listeners and clients and gives back everyone
 * else's, so several servers (and other inputs) share one multiplexer:
 *
 *     for await (let event of mux) {
 *       event = rpc1.io(event); if (!event) continue;
 *       event = rpc2.io(event); if (!event) continue;
 *       ...
 *     }
 *
 * What one client does ends at most its own connection: limits bound what it
 * can make the server hold, a return that cannot be sent closes only its
 * connection, and neither io() nor return() throws what a client caused.
 */
export class AsyncServer<Api extends Procedures<Api> = Untyped> implements AsyncDisposable {
  readonly #mux: Multiplexer;
  readonly #procedures: ReadonlyMap<string, Procedure>;
  readonly #codec: Codec;
  readonly #endpoint: Endpoint;
  readonly #listenOptions: MuxListenOptions;
  readonly #gate: ConnectionGate;
  readonly #maxInFlight: number;
  readonly #shutdownTimeoutMs: number;
  readonly #listeners = new Set<MuxListener>();
  readonly #clients = new Clients();
  /** Connections turned away after close(): their remaining events are dropped here. */
  readonly #turnedAway = new WeakSet<Connection>();
  /** Errors the `error` event has told already, so that the close they cause is not told again. */
  readonly #reported = new WeakSet<Error>();
  readonly #events = new Emitter<AsyncServerEvents>({
    onListenerError: (thrown, event, args) => this.#listenerFailed(thrown, event, args),
  });
  readonly #errors = new ErrorCounts();
  readonly #drain = new Drain();
  #starting: Promise<this> | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: AsyncServerOptions<Api>) {
    checkServerOptions(options);
    const { mux, procedures, host, port, path, tls, codec } = options;
    this.#mux = mux;
    this.#procedures = new Map(Object.entries(procedures) as Array<[string, Procedure]>);
    this.#codec = codec ?? msgpackCodec();
    this.#maxInFlight = options.maxInFlight ?? 1024;
    this.#shutdownTimeoutMs = options.shutdownTimeoutMs ?? 5000;
    this.#gate = new ConnectionGate({
      maxConnections: options.maxConnections,
      maxConnectionsPerAddress: options.maxConnectionsPerAddress,
      maxBufferedBytes: options.maxBufferedBytes,
      onRefused: (error) => this.#error(error, undefined),
    });
    const { maxQueueBytes, sendTimeoutMs, messageTimeoutMs, idleTimeoutMs } = options;
    this.#listenOptions = { gate: this.#gate, maxQueueBytes, sendTimeoutMs, messageTimeoutMs, idleTimeoutMs };
    const extra = tls ? { tls: { handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS, ...tls } } : {};
    this.#endpoint = path !== undefined ? { path, ...extra } : { host, port: port ?? 0, ...extra };
  }

  /** Listens at the endpoint of the options; resolves with the server once it accepts clients. Again is harmless. */
  start(): Promise<this> {
    if (this.#closed) return Promise.reject(rpcError('RPC_CLOSED', 'the server was closed; make a new one'));
    this.#starting ??= this.addListen(this.#endpoint).then(() => this);
    return this.#starting;
  }

  /** The address of the first listener, once started (MSG_NOT_STARTED before). */
  get address(): Address {
    const [first] = this.#listeners;
    if (first === undefined) throw msgError('MSG_NOT_STARTED', 'the server has no address before start() resolves');
    return first.address;
  }

  /**
   * Listens at one more endpoint (add_listen): the connections it accepts are this server's clients, under its
   * limits.
   */
  async addListen(endpoint: Endpoint): Promise<Address> {
    if (this.#closed) throw rpcError('RPC_CLOSED', 'the server was closed; make a new one');
    const listener = await this.#mux.listen(endpoint, this.#listenOptions);
    this.#listeners.add(listener);
    return listener.address;
  }

  /**
   * Makes a connection of the multiplexer (from `mux.connect`) a client of this server (add_client). A closed
   * server closes it instead.
   */
  addClient(connection: Connection): void {
    if (this.#closed) {
      this.#turnedAway.add(connection);
      void connection.close();
      return;
    }
    if (this.#clients.get(connection) !== undefined) return;
    const client = this.#clients.add(connection);
    connection.on('disconnect', (error) => {
      // At once, not when the program's loop comes to the `closed` event: the procedures' signals abort now.
      const lost = rpcError('RPC_DISCONNECTED', `the client left${error ? `: ${error.message}` : ''}`, {
        cause: error,
      });
      this.#giveUp(client, lost);
    });
    this.#events.emit('connect', connection);
  }

  /** True while at least one client is connected (has_clients). */
  hasClients(): boolean {
    return this.#clients.size > 0;
  }

  /** Subscribes to clients connecting and disconnecting, each call, and errors. */
  on<K extends keyof AsyncServerEvents>(event: K, listener: AsyncServerEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  /** Handles `event` if it is this server's and returns undefined; returns it untouched otherwise. */
  io(event: MuxEvent): MuxEvent | undefined {
    switch (event.type) {
      case 'accepted':
        if (!this.#listeners.has(event.listener)) return event;
        this.addClient(event.connection);
        return undefined;
      case 'message': {
        const client = this.#clients.get(event.connection);
        if (client === undefined) return this.#turnedAway.has(event.connection) ? undefined : event;
        this.#call(client, event.message);
        return undefined;
      }
      case 'closed': {
        if (this.#clients.remove(event.connection) === undefined)
          return this.#turnedAway.has(event.connection) ? undefined : event;
        const { error } = event;
        if (error !== undefined && !this.#reported.has(error)) this.#error(error, event.connection);
        this.#events.emit('disconnect', event.connection, error);
        return undefined;
      }
      default:
        return event;
    }
  }

  /**
   * Answers `caller` with `values` (RPC::Async's return), once per call: again throws ASYNC_ALREADY_RETURNED. A
   * caller given up on (its client left, or the server closed past shutdownTimeoutMs) is not answered. Values the
   * codec cannot carry are answered with an error (RPC_ANSWER_FAILED); nothing else throws.
   */
  return<V extends readonly unknown[]>(caller: Caller<V>, ...values: NoInfer<V>): void {
    const outcome = caller.settle();
    if (outcome === 'twice')
      throw asyncError('ASYNC_ALREADY_RETURNED', `${caller.procedure} (call ${caller.id}) has returned already`);
    if (outcome === 'drop') return;
    const client = this.#clients.get(caller.connection);
    if (client?.serving.delete(caller)) client.served++;
    this.#answer(caller.connection, caller.id, caller.procedure, null, values);
    this.#drain.check();
  }

  /**
   * The server's figures (core's ServerStats). What it cannot know, running over the multiplexer's connections
   * rather than a MsgServer: connections accepted whose `accepted` event io() has not seen yet are in `refused` and
   * `bufferedBytes` but not in `connections` or `perConnection`; messages read and not yet given to io() count as
   * `callsQueued` when in the multiplexer's queue, but not while in a connection's receive buffer, and their bytes
   * are in no figure (the multiplexer holds them for every server it feeds).
   */
  stats(): ServerStats {
    return this.#clients.stats(this.#gate, this.#mux, this.#errors);
  }

  /**
   * Stops listening at once; calls that come meanwhile are answered with RPC_SHUTDOWN, calls in flight may return
   * for shutdownTimeoutMs, and those left are then answered with RPC_SHUTDOWN. Then its clients are closed, after
   * what each has queued is written; the multiplexer goes on. Calling it again waits for the same close.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await this.#starting?.catch(() => undefined);
    await Promise.all([...this.#listeners].map((listener) => listener.close()));
    const ms = this.#shutdownTimeoutMs;
    if (!(await this.#drain.wait(this.#mux.loop, ms, () => this.#clients.serving > 0))) {
      const reason = rpcError('RPC_SHUTDOWN', `the server closed after waiting ${ms} ms`);
      for (const client of this.#clients.values()) {
        for (const caller of this.#giveUp(client, reason)) {
          this.#errors.count(reason);
          const text = `RPC_SHUTDOWN: ${reason.message}; ${caller.procedure} did not return`;
          this.#answer(client.connection, caller.id, caller.procedure, text, null);
        }
      }
    }
    await Promise.all([...this.#clients.values()].map((client) => client.connection.close()));
  }

  /** close(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #call(client: Client, bytes: Uint8Array): void {
    const { connection } = client;
    let call: CallMessage | undefined;
    try {
      call = parseCallMessage(this.#codec.decode(bytes));
    } catch {
      call = undefined;
    }
    if (call?.type !== REQUEST)
      return this.#drop(connection, asyncError('ASYNC_BAD_MESSAGE', 'a message that is not a procedure call'));
    this.#events.emit('call', connection, call);
    const { id, method } = call;
    const procedure = this.#procedures.get(method);
    if (this.#closed) {
      this.#errors.count('RPC_SHUTDOWN');
      return this.#answer(
        connection,
        id,
        method,
        `RPC_SHUTDOWN: the server is shutting down; ${method} was not called`,
      );
    }
    if (procedure === undefined) return this.#answer(connection, id, method, `no procedure named '${method}'`);
    if (client.serving.size >= this.#maxInFlight) {
      this.#errors.count('RPC_LIMIT');
      return this.#answer(
        connection,
        id,
        method,
        `RPC_LIMIT: too many calls in flight (the limit is ${this.#maxInFlight})`,
      );
    }
    const caller = new Caller(connection, id, method);
    if (connection.closed) caller.giveUp(rpcError('RPC_DISCONNECTED', 'the client left before its call was served'));
    else client.serving.add(caller);
    try {
      procedure(caller, ...call.params);
    } catch (error) {
      // The seed's rule: a procedure throws on invalid data, and that client is disconnected.
      const text = `${method} threw: ${describeThrown(error)}`;
      this.#drop(connection, asyncError('ASYNC_HANDLER_FAILED', text, { cause: error }));
    }
  }

  #answer(connection: Connection, id: number, procedure: string, error: string | null, values?: unknown): void {
    const fatal = sendAnswer(connection, this.#codec, { id, procedure, error, values }, this.#errors);
    if (fatal !== undefined) this.#error(fatal, connection);
  }

  /** Stops waiting for `client`'s procedures; returns the callers that were still waited for. */
  #giveUp(client: Client, reason: Error): Caller<readonly unknown[]>[] {
    const given = [...client.serving].filter((caller) => caller.giveUp(reason));
    client.serving.clear();
    if (given.length > 0) this.#drain.check();
    return given;
  }

  /** Tells the `error` listeners, then closes the connection: only that client is affected. */
  #drop(connection: Connection, error: RpcError): void {
    this.#error(error, connection);
    connection.destroy(error);
  }

  /** Counts `error` by code and tells the `error` listeners, once per error. */
  #error(error: Error, connection: Connection | undefined): void {
    const coded = error instanceof RpcError ? error : rpcError('RPC_DISCONNECTED', error.message, { cause: error });
    this.#reported.add(error);
    this.#errors.count(coded);
    this.#events.emit('error', coded, connection);
  }

  #listenerFailed(thrown: unknown, event: keyof AsyncServerEvents, args: readonly unknown[]): void {
    const text = `a '${event}' listener threw: ${describeThrown(thrown)}`;
    const failure = asyncError('ASYNC_LISTENER_FAILED', text, { cause: thrown });
    if (event === 'error') return this.#errors.count(failure); // nobody left to tell
    this.#error(
      failure,
      args.find((arg): arg is Connection => arg instanceof Connection),
    );
  }
}
