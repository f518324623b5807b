import type { Codec } from '@rpc/codec';
import { type Address, Emitter, type Endpoint, type RpcError, type Subscription } from '@rpc/loop';
import type { Connection } from '@rpc/msg';
import { Caller } from './caller.js';
import { asyncError } from './errors.js';
import type { Multiplexer, MuxEvent, MuxListener } from './multiplexer.js';
import { CALL, defaultCodec, parseWire, RETURN } from './wire.js';

/** A procedure (RPC::Async's rpc_NAME): answers through server.return(caller, ...values), once; its own return value is ignored. */
export type Procedure = (caller: Caller, ...args: unknown[]) => void;

interface ServerEvents {
  /** A client was disconnected because a procedure threw on its call, or it sent something that is not a call. */
  error: (error: RpcError, connection: Connection) => void;
}

export interface AsyncServerOptions {
  /** Message format (default: @rpc's MessagePack). */
  readonly codec?: Codec;
}

/**
 * RPC::Async::Server: plain procedures that answer later. It owns no loop:
 * feed it the multiplexer's events with io(), which keeps the events of its
 * own listeners and clients and gives back everyone else's, so several
 * servers (and other inputs) share one multiplexer:
 *
 *     for await (let event of mux) {
 *       event = rpc1.io(event); if (!event) continue;
 *       event = rpc2.io(event); if (!event) continue;
 *       ...
 *     }
 */
export class AsyncServer {
  readonly #mux: Multiplexer;
  readonly #procedures: ReadonlyMap<string, Procedure>;
  readonly #codec: Codec;
  readonly #listeners = new Set<MuxListener>();
  readonly #clients = new Set<Connection>();
  readonly #events = new Emitter<ServerEvents>();

  constructor(mux: Multiplexer, procedures: Readonly<Record<string, Procedure>>, options: AsyncServerOptions = {}) {
    this.#mux = mux;
    this.#procedures = new Map(Object.entries(procedures));
    this.#codec = options.codec ?? defaultCodec();
  }

  /** Listens at `endpoint` (add_listen): the connections it accepts are this server's clients. */
  async listen(endpoint: Endpoint): Promise<Address> {
    const listener = await this.#mux.listen(endpoint);
    this.#listeners.add(listener);
    return listener.address;
  }

  /** Makes a connection of the multiplexer a client of this server (add_client). */
  addClient(connection: Connection): void {
    this.#clients.add(connection);
  }

  /** True while at least one client is connected. */
  hasClients(): boolean {
    return this.#clients.size > 0;
  }

  on<K extends keyof ServerEvents>(event: K, listener: ServerEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  /** Handles `event` if it is this server's and returns undefined; returns it untouched otherwise. */
  io(event: MuxEvent): MuxEvent | undefined {
    switch (event.type) {
      case 'accepted':
        if (!this.#listeners.has(event.listener)) return event;
        this.#clients.add(event.connection);
        return undefined;
      case 'message':
        if (!this.#clients.has(event.connection)) return event;
        this.#call(event.connection, event.message);
        return undefined;
      case 'closed':
        return this.#clients.delete(event.connection) ? undefined : event;
      default:
        return event;
    }
  }

  /** Answers `caller` with `values` (RPC::Async's return): exactly once per call; a second time throws ASYNC_ALREADY_RETURNED. */
  return(caller: Caller, ...values: unknown[]): void {
    if (!caller.settle()) throw asyncError('ASYNC_ALREADY_RETURNED', `${caller.procedure} (call ${caller.id}) has returned already`);
    if (caller.connection.closed) return; // the client left: nobody to answer
    caller.connection.sendLater(this.#codec.encode([RETURN, caller.id, null, values]));
  }

  #call(connection: Connection, message: Uint8Array): void {
    let call;
    try {
      call = parseWire(this.#codec.decode(message));
    } catch {
      call = undefined;
    }
    if (call === undefined || call.kind !== CALL) return this.#drop(connection, asyncError('ASYNC_BAD_MESSAGE', 'a message that is not a procedure call'));
    const procedure = this.#procedures.get(call.procedure);
    if (procedure === undefined) {
      connection.sendLater(this.#codec.encode([RETURN, call.id, `no procedure named '${call.procedure}'`, null]));
      return;
    }
    try {
      procedure(new Caller(connection, call.id, call.procedure), ...call.args);
    } catch (error) {
      // The seed's rule: a procedure throws on invalid data, and that client is disconnected.
      this.#drop(connection, asyncError('ASYNC_HANDLER_FAILED', `${call.procedure} threw: ${(error as Error)?.message ?? String(error)}`, { cause: error }));
    }
  }

  #drop(connection: Connection, error: RpcError): void {
    this.#events.emit('error', error, connection);
    connection.destroy(error);
  }
}
