import type { Codec } from '@rpc/codec';
import { msgpackCodec } from '@rpc/codec-msgpack';
import { parseCallMessage, REQUEST, responseArray, rpcError, type CallMessage, type RequestMessage } from '@rpc/core';
import { Emitter, type Address, type Endpoint, type RpcError, type Subscription, type TlsOptions } from '@rpc/loop';
import { msgError, type Connection } from '@rpc/msg';
import { Caller } from './caller.js';
import { asyncError } from './errors.js';
import type { Multiplexer, MuxEvent, MuxListener } from './multiplexer.js';
import type { Procedure, ProcedureMap, Procedures, Untyped } from './procedures.js';

export interface AsyncServerOptions<Api extends Procedures<Api> = Untyped> {
  /** The multiplexer whose events this server takes through io() (RPC::Async's $mux). */
  readonly mux: Multiplexer;
  /** The procedures, by name (RPC::Async's rpc_NAME subs of $package). */
  readonly procedures: ProcedureMap<Api>;
  /** Interface to bind (default: all). */
  readonly host?: string;
  /** TCP port; 0 (the default) picks a free one, which `address` then reports. */
  readonly port?: number;
  /** A Unix socket path to listen on instead of a TCP port. */
  readonly path?: string;
  readonly tls?: TlsOptions;
  /** Message format (default: @rpc's MessagePack). */
  readonly codec?: Codec;
}

export interface AsyncServerEvents {
  /** A client was accepted by one of this server's listeners, or added with addClient. */
  connect: (connection: Connection) => void;
  /** A client's connection closed: `error` says why, undefined for a clean end. */
  disconnect: (connection: Connection, error?: Error) => void;
  /** A client called a procedure (known or not). */
  call: (connection: Connection, request: RequestMessage) => void;
  /** A client was disconnected because a procedure threw on its call, or it sent something that is not a call. */
  error: (error: RpcError, connection: Connection) => void;
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
 */
export class AsyncServer<Api extends Procedures<Api> = Untyped> implements AsyncDisposable {
  readonly #mux: Multiplexer;
  readonly #procedures: ReadonlyMap<string, Procedure>;
  readonly #codec: Codec;
  readonly #endpoint: Endpoint;
  readonly #listeners = new Set<MuxListener>();
  readonly #clients = new Set<Connection>();
  readonly #events = new Emitter<AsyncServerEvents>();
  #starting: Promise<this> | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: AsyncServerOptions<Api>) {
    const { mux, procedures, host, port, path, tls, codec } = options;
    this.#mux = mux;
    this.#procedures = new Map(Object.entries(procedures) as Array<[string, Procedure]>);
    this.#codec = codec ?? msgpackCodec();
    const extra = tls ? { tls } : {};
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

  /** Listens at one more endpoint (add_listen): the connections it accepts are this server's clients. */
  async addListen(endpoint: Endpoint): Promise<Address> {
    if (this.#closed) throw rpcError('RPC_CLOSED', 'the server was closed; make a new one');
    const listener = await this.#mux.listen(endpoint);
    this.#listeners.add(listener);
    return listener.address;
  }

  /** Makes a connection of the multiplexer (from `mux.connect`) a client of this server (add_client). */
  addClient(connection: Connection): void {
    this.#clients.add(connection);
    this.#events.emit('connect', connection);
  }

  /** True while at least one client is connected (has_clients). */
  hasClients(): boolean {
    return this.#clients.size > 0;
  }

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
      case 'message':
        if (!this.#clients.has(event.connection)) return event;
        this.#call(event.connection, event.message);
        return undefined;
      case 'closed':
        if (!this.#clients.delete(event.connection)) return event;
        this.#events.emit('disconnect', event.connection, event.error);
        return undefined;
      default:
        return event;
    }
  }

  /** Answers `caller` with `values` (RPC::Async's return), once per call: again throws ASYNC_ALREADY_RETURNED. */
  return<V extends readonly unknown[]>(caller: Caller<V>, ...values: NoInfer<V>): void {
    if (!caller.settle())
      throw asyncError('ASYNC_ALREADY_RETURNED', `${caller.procedure} (call ${caller.id}) has returned already`);
    if (caller.connection.closed) return; // the client left: nobody to answer
    caller.connection.sendLater(this.#codec.encode(responseArray(caller.id, null, values)));
  }

  /** Stops listening and closes this server's clients; the multiplexer goes on. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await this.#starting?.catch(() => undefined);
    await Promise.all([...this.#listeners].map((listener) => listener.close()));
    await Promise.all([...this.#clients].map((connection) => connection.close()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #call(connection: Connection, bytes: Uint8Array): void {
    let call: CallMessage | undefined;
    try {
      call = parseCallMessage(this.#codec.decode(bytes));
    } catch {
      call = undefined;
    }
    if (call?.type !== REQUEST)
      return this.#drop(connection, asyncError('ASYNC_BAD_MESSAGE', 'a message that is not a procedure call'));
    this.#events.emit('call', connection, call);
    const procedure = this.#procedures.get(call.method);
    if (procedure === undefined) {
      connection.sendLater(this.#codec.encode(responseArray(call.id, `no procedure named '${call.method}'`, null)));
      return;
    }
    try {
      procedure(new Caller(connection, call.id, call.method), ...call.params);
    } catch (error) {
      // The seed's rule: a procedure throws on invalid data, and that client is disconnected.
      const text = error instanceof Error ? error.message : String(error);
      this.#drop(connection, asyncError('ASYNC_HANDLER_FAILED', `${call.method} threw: ${text}`, { cause: error }));
    }
  }

  #drop(connection: Connection, error: RpcError): void {
    this.#events.emit('error', error, connection);
    connection.destroy(error);
  }
}
