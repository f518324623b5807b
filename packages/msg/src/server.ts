import { Emitter, type Address, type Channel, type Endpoint, type Listener, type Subscription } from '@rpc/loop';
import { Connection, type MessageHandler } from './connection.js';
import { msgError } from './errors.js';
import { checkMaxPacketSize } from './frame.js';
import { handlesOf, type LoopHandles } from './handles.js';
import { resolveOptions, type MsgOptions, type ResolvedOptions } from './options.js';

/**
 * Decides whether to accept a new connection: return the handler for its
 * messages, or nothing to refuse it (it is closed). May be async; no message
 * is read before it answers.
 */
export type Login = (conn: Connection) => MessageHandler | null | undefined | false | Promise<MessageHandler | null | undefined | false>;

interface ServerEvents {
  /** Something went wrong that concerns one peer (a TLS handshake, a login or handler that threw); the server keeps serving. */
  error: (error: Error, conn?: Connection) => void;
}

/** A listening Msg server (the Msg toolkit's new_server). */
export class MsgServer implements AsyncDisposable {
  readonly #listener: Listener;
  readonly #connections = new Set<Connection>();
  /** Connections whose login has not answered yet. */
  readonly #pending = new Set<Connection>();
  readonly #events = new Emitter<ServerEvents>();
  readonly #login: Login;
  /** The loop's registered handles: a listening server is one until closed (eventLoop). */
  readonly #handles: LoopHandles;
  #options: ResolvedOptions;

  /** Serves the channels of `listener`, calling `login` for each; newServer() makes one for you. */
  constructor(listener: Listener, login: Login, options?: MsgOptions) {
    this.#listener = listener;
    this.#login = login;
    this.#options = resolveOptions(options);
    this.#handles = handlesOf(this.#options.loop);
    this.#handles.register(this);
    listener.on('error', (error) => this.#events.emit('error', error));
  }

  /**
   * The largest message either way, on every connection, those already
   * open included. May be changed at any time (Event::RPC's
   * set_max_packet_size); a transport that frames messages itself keeps
   * the ceiling it was listening with.
   */
  get maxPacketSize(): number {
    return this.#options.maxPacketSize;
  }

  set maxPacketSize(value: number) {
    this.#options = { ...this.#options, maxPacketSize: checkMaxPacketSize(value) };
    for (const conn of [...this.#pending, ...this.#connections]) conn.maxPacketSize = value;
  }

  /** The bound address, with the real port when port 0 was asked for. */
  get address(): Address {
    return this.#listener.address;
  }

  /** Connections that were accepted by login and are still open. */
  get connections(): ReadonlySet<Connection> {
    return this.#connections;
  }

  on<K extends keyof ServerEvents>(event: K, listener: ServerEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  /** Stops accepting and disconnects every connection (after writing what each has queued). */
  async close(): Promise<void> {
    this.#handles.deregister(this);
    await this.#listener.close();
    await Promise.all([...this.#pending, ...this.#connections].map((conn) => conn.disconnect()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal called by newServer() for each channel */
  async accept(channel: Channel): Promise<void> {
    channel.pause(); // nothing is read until login has answered
    const conn = new Connection(channel, this.#options);
    conn.on('error', (error) => this.#events.emit('error', error, conn));
    let handler: MessageHandler | null | undefined | false;
    this.#pending.add(conn);
    try {
      handler = await this.#answer(conn);
    } catch (error) {
      const failure = msgError('MSG_LOGIN_FAILED', 'login threw; connection closed', { cause: error });
      this.#events.emit('error', failure, conn);
      conn.destroy(failure);
      return;
    } finally {
      this.#pending.delete(conn);
    }
    if (!handler) {
      void conn.disconnect();
      return;
    }
    if (conn.closed) return;
    this.#connections.add(conn);
    conn.on('close', () => this.#connections.delete(conn));
    conn.onMessage = handler;
    channel.resume();
  }

  /** Calls login: one event of the loop (counted when called, not when an async login answers). */
  #answer(conn: Connection): ReturnType<Login> {
    this.#handles.dispatched();
    return this.#login(conn);
  }
}

/**
 * Listens at `endpoint` (TCP, Unix socket, either with TLS) and calls
 * `login` for each connection. Different connections may get different
 * handlers; once accepted, either side sends whenever it likes.
 */
export async function newServer(endpoint: Endpoint, login: Login, options?: MsgOptions): Promise<MsgServer> {
  const resolved = resolveOptions(options);
  let server: MsgServer | undefined;
  const pending: Channel[] = [];
  const listener = await resolved.loop.listen({ ...endpoint, maxMessageSize: resolved.maxPacketSize }, (channel) => {
    if (server) void server.accept(channel);
    else pending.push(channel);
  });
  server = new MsgServer(listener, login, resolved);
  for (const channel of pending) void server.accept(channel);
  return server;
}
