import {
  Emitter,
  type Address,
  type Channel,
  type Endpoint,
  type Listener,
  type Subscription,
  type TlsOptions,
} from '@rpc/loop';
import { Connection, type ConnectionStats, type MessageHandler } from './connection.js';
import { ConnectionGate } from './connection-gate.js';
import { msgError } from './errors.js';
import { checkMaxPacketSize } from './frame.js';
import { handlesOf, type LoopHandles } from './handles.js';
import { IpSet } from './ip.js';
import { resolveOptions, type MsgOptions, type ResolvedOptions } from './options.js';
import { ProxiedChannel, readProxyHeader } from './proxy-channel.js';

/**
 * Decides whether to accept a new connection: return the handler for its
 * messages, or nothing to refuse it (it is closed). May be async; no message
 * is read before it answers.
 */
export type Login = (
  conn: Connection,
) => MessageHandler | null | undefined | false | Promise<MessageHandler | null | undefined | false>;

/** Who may send a PROXY header: see {@link MsgServerOptions.proxyProtocol}. */
export interface ProxyProtocolOptions {
  /** The balancers' addresses or networks: `'127.0.0.1'`, `'10.0.0.0/8'`, `'fd00::/8'`. */
  readonly from: readonly string[];
}

/** Where a {@link MsgServer} listens, how it admits connections, and the options of each connection. */
export interface MsgServerOptions extends MsgOptions {
  /** Interface to bind (default: all). */
  readonly host?: string;
  /** TCP port; 0 (the default) picks a free one, which `address` then reports. */
  readonly port?: number;
  /** A Unix socket path to listen on instead of a TCP port. */
  readonly path?: string;
  /** Serve over TLS with these node:tls options. */
  readonly tls?: TlsOptions;
  /** Decides for each connection whether to accept it, and with which handler. */
  readonly login: Login;
  /** Connections open at once, logging in or logged in; more are closed at once (default 10,000). */
  readonly maxConnections?: number;
  /** Connections open at once from one IP address (default 256; Unix sockets are not counted). */
  readonly maxConnectionsPerAddress?: number;
  /** Bytes all connections together may hold in send queues and partial messages (default 64 MiB). */
  readonly maxBufferedBytes?: number;
  /**
   * Behind a TCP balancer: connections from `from` must begin with a PROXY header (v1 or v2) within messageTimeoutMs,
   * and the client address it names becomes the connection's `remote` (a v2 LOCAL or v1 UNKNOWN header keeps the
   * socket's); other connections that begin with one are refused (MSG_PROXY_REFUSED). Byte-stream TCP only: not with
   * `tls` (the balancer ends TLS) nor a Unix socket path.
   */
  readonly proxyProtocol?: ProxyProtocolOptions;
}

/** A server's figures: totals count closed connections too. */
export interface MsgServerStats {
  /** Open connections, those still logging in included. */
  readonly connections: number;
  /** Connections closed at once for passing maxConnections or maxConnectionsPerAddress. */
  readonly refused: number;
  /** Bytes held in send queues and partial messages, all connections together (what maxBufferedBytes bounds). */
  readonly bufferedBytes: number;
  /** Bytes received, frame headers included. */
  readonly bytesIn: number;
  /** Bytes sent, frame headers included. */
  readonly bytesOut: number;
  /** Messages received. */
  readonly messagesIn: number;
  /** Messages sent. */
  readonly messagesOut: number;
}

/** Node's default TLS handshake timeout is 120 s; a client that never says hello is dropped sooner. */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** The events of a {@link MsgServer}, each with its listener. */
export interface MsgServerEvents {
  /** Login accepted a connection. */
  connect: (conn: Connection) => void;
  /** An accepted connection closed; `error` says why, unless it closed cleanly. */
  disconnect: (conn: Connection, error?: Error) => void;
  /**
   * Something went wrong that concerns one peer (a TLS handshake, a login or handler that threw); the server keeps
   * serving.
   */
  error: (error: Error, conn?: Connection) => void;
}

/**
 * A Msg server (the Msg toolkit's new_server): `await new MsgServer({ host,
 * port, login }).start()` listens on TCP, a Unix socket, either with TLS, and
 * calls `login` for each connection. Different connections may get
 * different handlers; once accepted, either side sends whenever it likes.
 */
export class MsgServer implements AsyncDisposable {
  readonly #connections = new Set<Connection>();
  /** Connections whose login has not answered yet. */
  readonly #pending = new Set<Connection>();
  readonly #events = new Emitter<MsgServerEvents>();
  readonly #endpoint: Endpoint;
  readonly #login: Login;
  /** The loop's registered handles: a listening server is one until closed (eventLoop). */
  readonly #handles: LoopHandles;
  #options: ResolvedOptions;
  /** Counts connections in and out, and the memory they share. */
  readonly #gate: ConnectionGate;
  /** Figures of connections that have closed. */
  #gone = { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 };
  /** The balancers allowed to send a PROXY header (proxyProtocol). */
  readonly #proxyFrom: IpSet | undefined;
  /** Balancers' connections whose PROXY header has not come yet. */
  readonly #readingHeader = new Set<Channel>();
  #listener: Listener | undefined;
  #starting: Promise<this> | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: MsgServerOptions) {
    const { host, port, path, tls, login, maxConnections, maxConnectionsPerAddress, maxBufferedBytes, ...rest } =
      options;
    const { proxyProtocol, ...msgOptions } = rest;
    if (typeof login !== 'function')
      throw msgError('MSG_INVALID_OPTION', 'login must be a function returning a message handler');
    if (proxyProtocol !== undefined && (tls !== undefined || path !== undefined))
      throw msgError('MSG_INVALID_OPTION', 'proxyProtocol is for plain TCP: the balancer ends TLS');
    this.#proxyFrom = proxyProtocol === undefined ? undefined : new IpSet(proxyProtocol.from);
    this.#options = resolveOptions(msgOptions);
    this.#gate = new ConnectionGate({
      ...(maxConnections === undefined ? {} : { maxConnections }),
      ...(maxConnectionsPerAddress === undefined ? {} : { maxConnectionsPerAddress }),
      ...(maxBufferedBytes === undefined ? {} : { maxBufferedBytes }),
      onRefused: (error) => this.#events.emit('error', error),
    });
    const secure = tls ? { tls: { handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS, ...tls } } : {};
    this.#endpoint = path !== undefined ? { path, ...secure } : { host, port: port ?? 0, ...secure };
    this.#login = login;
    this.#handles = handlesOf(this.#options.loop);
  }

  /** Listens; resolves with the server once it accepts connections. Calling it again is harmless. */
  start(): Promise<this> {
    if (this.#closed) return Promise.reject(msgError('MSG_CLOSED', 'the server was closed; make a new one'));
    this.#starting ??= this.#listen();
    return this.#starting;
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

  /** Sets the limit on every connection: a whole number of bytes from 0 to 4 GiB − 1, else MSG_INVALID_OPTION. */
  set maxPacketSize(value: number) {
    this.#options = { ...this.#options, maxPacketSize: checkMaxPacketSize(value) };
    for (const conn of [...this.#pending, ...this.#connections]) conn.maxPacketSize = value;
  }

  /** The bound address once started, with the real port when port 0 was asked for. */
  get address(): Address {
    if (this.#listener === undefined)
      throw msgError('MSG_NOT_STARTED', 'the server has no address before start() resolves');
    return this.#listener.address;
  }

  /** Connections that were accepted by login and are still open. */
  get connections(): ReadonlySet<Connection> {
    return this.#connections;
  }

  /** The server's figures, now. */
  stats(): MsgServerStats {
    const totals = { ...this.#gone };
    for (const conn of [...this.#pending, ...this.#connections]) add(totals, conn.stats());
    return {
      connections: this.#pending.size + this.#connections.size,
      refused: this.#gate.refused,
      bufferedBytes: this.#gate.bufferedBytes,
      ...totals,
    };
  }

  /** Listens to `event`: `connect`, `disconnect` or `error`. */
  on<K extends keyof MsgServerEvents>(event: K, listener: MsgServerEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  /** Stops accepting connections; those open stay until they or close() end them (a server draining its calls). */
  async stopListening(): Promise<void> {
    await this.#starting?.catch(() => undefined);
    await this.#listener?.close();
  }

  /** Stops accepting and closes every connection (after writing what each has queued). */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await this.stopListening();
    this.#handles.deregister(this);
    for (const channel of this.#readingHeader) channel.destroy();
    await Promise.all([...this.#pending, ...this.#connections].map((conn) => conn.close()));
  }

  /** close(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #listen(): Promise<this> {
    const listener = await this.#options.loop.listen(
      { ...this.#endpoint, maxMessageSize: this.#options.maxPacketSize },
      (channel) => void this.#accept(channel),
    );
    this.#listener = listener;
    listener.on('error', (error) => this.#events.emit('error', error));
    this.#handles.register(this);
    return this;
  }

  async #accept(socket: Channel): Promise<void> {
    socket.pause(); // nothing is read until login has answered
    if (!this.#gate.admit(socket)) return; // closed and reported
    const channel = this.#proxyFrom === undefined ? socket : await this.#proxied(socket, this.#proxyFrom);
    if (channel === undefined) return;
    const conn = new Connection(channel, this.#options, undefined, this.#gate.budget);
    this.#gate.track(conn);
    conn.on('error', (error) => this.#events.emit('error', error, conn));
    conn.on('disconnect', () => add(this.#gone, conn.stats()));
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
      void conn.close();
      return;
    }
    if (conn.closed) return;
    this.#connections.add(conn);
    conn.on('disconnect', (error) => {
      this.#connections.delete(conn);
      this.#events.emit('disconnect', conn, error);
    });
    conn.onMessage = handler;
    this.#events.emit('connect', conn);
    channel.resume();
  }

  /**
   * Behind a balancer: a trusted balancer's connection becomes its client's once the PROXY header is read, and is then
   * counted under the client's address (under the balancer's until then); anyone else's is refused if it sends one.
   */
  async #proxied(socket: Channel, trusted: IpSet): Promise<Channel | undefined> {
    const defer = (task: () => void): void => this.#options.loop.defer(task);
    const host = 'host' in socket.remote ? socket.remote.host : undefined;
    if (socket.messageBoundaries) return socket; // WebSocket: the transport frames messages, headers are HTTP's
    if (host === undefined || !trusted.has(host)) return new ProxiedChannel(socket, { refuseHeader: true, defer });
    const { loop, messageTimeoutMs } = this.#options;
    this.#readingHeader.add(socket);
    let header: Awaited<ReturnType<typeof readProxyHeader>>;
    try {
      header = await readProxyHeader(socket, loop, messageTimeoutMs);
    } catch (error) {
      this.#events.emit('error', error as Error);
    } finally {
      this.#readingHeader.delete(socket);
      this.#gate.release(socket.remote);
    }
    if (header === undefined || this.#closed) {
      socket.destroy();
      return undefined;
    }
    const channel = new ProxiedChannel(socket, { remote: header.remote ?? socket.remote, rest: header.rest, defer });
    return this.#gate.admit(channel) ? channel : undefined;
  }

  /** Calls login: one event of the loop (counted when called, not when an async login answers). */
  #answer(conn: Connection): ReturnType<Login> {
    this.#handles.dispatched();
    return this.#login(conn);
  }
}

type Totals = { bytesIn: number; bytesOut: number; messagesIn: number; messagesOut: number };

function add(totals: Totals, stats: ConnectionStats): void {
  totals.bytesIn += stats.bytesIn;
  totals.bytesOut += stats.bytesOut;
  totals.messagesIn += stats.messagesIn;
  totals.messagesOut += stats.messagesOut;
}
