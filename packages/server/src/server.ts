import { ServerNegotiation, type CodecRegistry } from '@rpc/codec';
import {
  ClassRegistry,
  debugLogger,
  Dispatcher,
  ErrorCounts,
  formatLogLine,
  formatRegistry,
  LogThrottle,
  RpcError,
  rpcError,
  type ClassImpl,
  type ServerStats,
  type ExportedClass,
  type IncomingRequest,
  type Logger,
  type MessageFormat,
} from '@rpc/core';
import { Emitter, formatAddress, type Loop, type Subscription, type TlsOptions } from '@rpc/loop';
import { rpcDebugLog } from '@rpc/loop-node';
import { DEFAULT_MAX_PACKET_SIZE, defaultLoop, MsgServer } from '@rpc/msg';
import { Authenticator } from './authenticator.js';
import { HealthEndpoint } from './health.js';
import { LogListener, logListenerExposure } from './log-listener.js';
import { ModuleLoader } from './module-loader.js';
import type { ServerOptions, ServerSettings } from './options.js';
import { activeCall } from './call.js';
import { serverTlsOptions } from './tls-options.js';
import { CONNECTION_LIMITS, ServerConnection, type ConnectionHost } from './server-connection.js';

/** Without a logger the server is silent; NODE_DEBUG=rpc shows every line. */
const defaultLogger = debugLogger(rpcDebugLog);
/** What the log listener streams when there is no logger to say (Event::RPC::Logger's usual level). */
const LOG_LISTENER_LEVEL = 2;

const DEFAULTS: Omit<ServerSettings, 'classes'> = {
  port: 0,
  host: undefined,
  name: 'Event::RPC server',
  logger: undefined,
  startLogListener: false,
  connectionHook: undefined,
  messageFormats: [],
  insecureFormatsOk: false,
  maxPacketSize: DEFAULT_MAX_PACKET_SIZE,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 256,
  maxBufferedBytes: 64 * 1024 * 1024,
  maxQueueBytes: 16 * 1024 * 1024,
  ...CONNECTION_LIMITS,
  messageTimeoutMs: 60_000,
  sendTimeoutMs: 30_000,
  idleTimeoutMs: 0,
  shutdownTimeoutMs: 5_000,
  loadModules: true,
  autoReloadModules: false,
  loop: undefined,
  proxyProtocol: undefined,
  healthPort: undefined,
  ssl: false,
  sslKeyFile: undefined,
  sslCertFile: undefined,
  sslPasswdCb: undefined,
  sslOpts: undefined,
  authRequired: false,
  authPasswdHref: undefined,
  authModule: undefined,
  authAccess: undefined,
  authMaxFailures: 5,
  authFailuresPerAddress: 20,
  authFailuresPerUser: 10,
  authFailureWindowMs: 600_000,
  authMaxConcurrentChecks: 2,
  authMaxQueuedChecks: 32,
  logListenerSsl: false,
  logListenerAuth: false,
};

/** Event::RPC's stats, as every `@rpc` server reports them, with what only an Event::RPC server holds. */
export interface EventRpcServerStats extends ServerStats {
  /** Object ids clients hold, by class. */
  readonly objects: Readonly<Record<string, number>>;
  /** References clients hold to them, all together. */
  readonly references: number;
  /** Failed logins by client address, within the login limiter's window. */
  readonly failedLogins: Readonly<Record<string, number>>;
  /** The process these figures are of: with several server processes on one port (node:cluster), each has its own. */
  readonly pid: number;
}

/** The events of a {@link Server}, with their listeners' signatures: see {@link Server.on}. */
export interface ServerEvents {
  /** A client connected. */
  connect: (connection: ServerConnection) => void;
  /** A client's connection ended; `error` says why, unless it ended cleanly. */
  disconnect: (connection: ServerConnection, error?: Error) => void;
  /** A request is about to be served (after the login check, whatever its outcome). */
  call: (connection: ServerConnection, request: Readonly<IncomingRequest>) => void;
  /**
   * Something went wrong that concerns one peer (a TLS handshake that failed, ...); the server keeps serving. It is
   * logged too.
   */
  error: (error: Error) => void;
}

/**
 * Every option is also a property, readable always and settable until start(), like Event::RPC's get_/set_ accessors.
 */
export interface Server extends Omit<ServerSettings, 'messageFormats' | 'maxPacketSize'> {}

/**
 * An Event::RPC server: exports classes to Perl Event::RPC clients and to
 * `@rpc` clients, over the Msg framing, in any negotiated format.
 *
 * `await server.start()` resolves once it listens; `server.done` resolves
 * once close() has closed it (`await server.done` is Perl's "start runs until
 * stop"). setupListeners() is start() under its Perl name.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the static block defines the interface's accessors
export class Server implements AsyncDisposable {
  readonly #settings: ServerSettings;
  readonly #connections = new Set<ServerConnection>();
  /** A listener that throws is logged; the server's own bookkeeping goes on. */
  readonly #events = new Emitter<ServerEvents>({
    onListenerError: (error, event) => this.log(1, `a '${String(event)}' listener threw: ${String(error)}`),
  });
  readonly #errors = new ErrorCounts();
  readonly #throttle = new LogThrottle(() => this.#loop.now());
  /** Figures of connections that have closed. */
  #gone = { callsServed: 0 };
  #authenticator: Authenticator | undefined;
  #formats: CodecRegistry;
  #msg: MsgServer | undefined;
  #logListener: LogListener | undefined;
  #health: HealthEndpoint | undefined;
  #nextCid = 1;
  #listening: Promise<this> | undefined;
  #stopped = false;
  #draining = false;
  #stop: (() => void) | undefined;
  readonly #done = new Promise<void>((resolve) => (this.#stop = resolve));

  static #latest: Server | undefined;

  constructor(options: ServerOptions) {
    this.#settings = { ...DEFAULTS, ...options };
    this.#formats = formatRegistry(this.#settings.messageFormats);
    new ClassRegistry(this.#settings.classes); // check the classes now, not at the first call
    Server.#latest = this;
  }

  /** The server created last (Event::RPC::Server->instance), for exported code that needs it. */
  static get instance(): Server | undefined {
    return Server.#latest;
  }

  static {
    const live = new Set(['messageFormats', 'maxPacketSize']);
    for (const key of [...Object.keys(DEFAULTS), 'classes'].filter((k) => !live.has(k)) as Array<
      keyof ServerSettings
    >) {
      Object.defineProperty(Server.prototype, key, {
        get(this: Server) {
          return this.#settings[key];
        },
        set(this: Server, value: never) {
          this.#settable(key);
          this.#settings[key] = value;
        },
      });
    }
  }

  /** The effective offer: the format names clients are offered, in that order (Perl's formats first). */
  get messageFormats(): readonly string[] {
    return new ServerNegotiation({ formats: this.#formats, insecureFormatsOk: this.#settings.insecureFormatsOk }).offer;
  }

  /** Formats by Event::RPC name (`'CBOR'`, `'JSON'`, `'MSGP'`) or as codec objects, in order of preference. */
  set messageFormats(formats: readonly MessageFormat[]) {
    this.#settable('messageFormats');
    this.#formats = formatRegistry(formats);
    this.#settings.messageFormats = formats;
  }

  /** Largest message either way, in bytes. */
  get maxPacketSize(): number {
    return this.#settings.maxPacketSize;
  }

  /**
   * May be changed at any time, as Event::RPC's set_max_packet_size: open connections take it from their next message.
   */
  set maxPacketSize(bytes: number) {
    if (this.#msg !== undefined) this.#msg.maxPacketSize = bytes; // checks the value
    this.#settings.maxPacketSize = bytes;
    for (const connection of this.#connections) connection.applyPacketLimit();
  }

  /** The connection whose call is being served (undefined outside a call); right under concurrent async calls. */
  get activeConnection(): ServerConnection | undefined {
    return activeCall.getStore()?.connection;
  }

  /**
   * The signal of the call being served: aborted when an `@rpc` client cancels it, its deadline passes or its client
   * leaves.
   */
  get activeSignal(): AbortSignal | undefined {
    return activeCall.getStore()?.signal;
  }

  /** Clients connected now (Event::RPC's clients_connected). */
  get clientsConnected(): number {
    return this.#connections.size;
  }

  /** Clients connected to the log listener. */
  get logClientsConnected(): number {
    return this.#logListener?.clients ?? 0;
  }

  /** The connections open now, those still logging in included. */
  get connections(): ReadonlySet<ServerConnection> {
    return this.#connections;
  }

  /** Resolves once close() has closed the server. */
  get done(): Promise<void> {
    return this.#done;
  }

  /**
   * Logs through the configured logger, and to the log listener's clients: `log(msg)` at level 1, or `log(level, msg)`.
   */
  log(levelOrMessage: number | string, message?: string): void {
    const [level, text] = typeof levelOrMessage === 'number' ? [levelOrMessage, message ?? ''] : [1, levelOrMessage];
    const logger = this.#logger;
    try {
      logger?.log(level, text);
    } catch {
      // A logger that throws cannot be told so; the server goes on without that line.
    }
    if (this.#logListener !== undefined && level <= (logger?.minLevel ?? LOG_LISTENER_LEVEL))
      this.#logListener.write(formatLogLine(level, text));
  }

  /**
   * The server's figures now: connections, calls, memory held, errors by code, objects by class, failed logins by
   * address; per connection too.
   */
  stats(): EventRpcServerStats {
    const perConnection = [...this.#connections].map((connection) => connection.report());
    const msg = this.#msg?.stats();
    const objects: Record<string, number> = {};
    let references = 0;
    for (const connection of this.#connections) {
      for (const [name, count] of Object.entries(connection.objects.byClass()))
        objects[name] = (objects[name] ?? 0) + count;
      references += connection.objects.references;
    }
    const sum = (key: 'callsInFlight' | 'callsQueued' | 'callsServed'): number =>
      perConnection.reduce((total, report) => total + report[key], 0);
    return {
      connections: this.#connections.size,
      refused: msg?.refused ?? 0,
      callsInFlight: sum('callsInFlight'),
      callsQueued: sum('callsQueued'),
      callsServed: this.#gone.callsServed + sum('callsServed'),
      errors: this.#errors.toJSON(),
      bufferedBytes: msg?.bufferedBytes ?? 0,
      bytesIn: msg?.bytesIn ?? 0,
      bytesOut: msg?.bytesOut ?? 0,
      perConnection,
      objects,
      references,
      failedLogins: Object.fromEntries(this.#authenticator?.failedLogins() ?? []),
      pid: process.pid,
    };
  }

  /**
   * Logs an error (once per code every 10 s, with a count of the rest) and tells `error` listeners; counts it too,
   * unless it ends a connection, which is counted once that has closed.
   */
  #failed(error: Error, where = '', count = true): void {
    const code = error instanceof RpcError ? error.code : 'ERROR';
    if (count) this.#errors.count(code);
    const line = this.#throttle.line(code, `${where}${error.message}`);
    if (line !== undefined) this.log(1, line);
    this.#events.emit('error', error);
  }

  /**
   * Opens the listeners: resolves with the server once it listens. Calling it again (or start()) is harmless, as in
   * Event::RPC.
   */
  setupListeners(): Promise<this> {
    if (this.#stopped) return Promise.reject(rpcError('RPC_CLOSED', 'the server was closed; make a new one'));
    // A start that fails half-way closes what it opened.
    return (this.#listening ??= this.#listen().then(
      () => this,
      async (error: unknown) => {
        await Promise.all([this.#msg?.close(), this.#logListener?.close(), this.#health?.close()]);
        throw error;
      },
    ));
  }

  /** Starts listening; resolves with the server once it accepts clients. `await server.done` waits until close(). */
  start(): Promise<this> {
    return this.setupListeners();
  }

  /**
   * Closes the listeners and every connection (each after writing what it has queued); `done` resolves. Event::RPC's
   * stop. Calls running get shutdownTimeoutMs to finish; `@rpc` clients are told to move (`goaway`).
   */
  close(): Promise<void> {
    return this.#shutdown(this.#settings.shutdownTimeoutMs);
  }

  /**
   * Leaves the service gracefully, for rolling restarts: marks the server `draining` (its health check fails), stops
   * accepting, tells `@rpc` clients to move to another server (`goaway`: they send nothing new here and connect again
   * through the balancer), lets the calls in flight finish within `timeoutMs` (default shutdownTimeoutMs; those still
   * running then are answered with RPC_SHUTDOWN), and closes. Perl clients' connections close once their call is
   * answered. Resolves when the server has closed.
   */
  drain(timeoutMs: number = this.#settings.shutdownTimeoutMs): Promise<void> {
    this.#draining = true;
    return this.#shutdown(timeoutMs);
  }

  /** Whether drain() has been called: the health endpoint answers 503 from then on. */
  get draining(): boolean {
    return this.#draining;
  }

  async #shutdown(timeoutMs: number): Promise<void> {
    if (this.#stopped) return this.#done;
    this.#stopped = true;
    await this.#listening?.catch(() => undefined);
    await this.#msg?.stopListening();
    await Promise.all([...this.#connections].map((connection) => connection.shutdown(timeoutMs)));
    await Promise.all([this.#msg?.close(), this.#logListener?.close(), this.#health?.close()]);
    this.#stop?.();
  }

  /** close(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Subscribes to connections, disconnections and each call served (`call` gets the connection and the request). */
  on<K extends keyof ServerEvents>(event: K, listener: ServerEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  get #loop(): Loop {
    return this.#settings.loop ?? defaultLoop();
  }

  get #logger(): Logger | undefined {
    return this.#settings.logger ?? defaultLogger;
  }

  #settable(key: string): void {
    if (this.#listening !== undefined) throw rpcError('RPC_STARTED', `cannot set ${key} after the server has started`);
  }

  async #listen(): Promise<void> {
    const s = this.#settings;
    const classes = new ClassRegistry(s.classes);
    for (const exported of classes.values()) ModuleLoader.check(exported);
    const loader = new ModuleLoader({
      autoReload: s.autoReloadModules,
      log: (level, text) => this.log(level, text),
      reloaded: (exported, previous) => this.#moveObjects(exported, previous),
    });
    if (!s.loadModules) for (const exported of classes.values()) if (exported.source) await loader.load(exported);
    const log = (level: number, text: string): void => this.log(level, text);
    const tls = await serverTlsOptions(s);
    const auth = await Authenticator.create(s, { loop: this.#loop, log });
    this.#authenticator = auth;
    const logger = this.#logger;
    const host: ConnectionHost = {
      dispatcher: new Dispatcher(classes, s.loadModules ? { prepare: (exported) => loader.prepare(exported) } : {}),
      formats: this.#formats,
      insecureFormatsOk: s.insecureFormatsOk,
      get maxPacketSize() {
        return s.maxPacketSize;
      },
      auth,
      loop: this.#loop,
      logLevel: Math.max(
        logger === undefined ? 0 : (logger.minLevel ?? Infinity),
        s.startLogListener ? LOG_LISTENER_LEVEL : 0,
      ),
      log,
      called: (connection, request) => this.#events.emit('call', connection, request),
      limits: {
        maxCallsInFlight: s.maxCallsInFlight,
        maxQueuedRequests: s.maxQueuedRequests,
        maxObjects: s.maxObjects,
        maxReferences: s.maxReferences,
        maxExports: s.maxExports,
        maxImports: s.maxImports,
        streamWindow: s.streamWindow,
        maxProtocolErrors: s.maxProtocolErrors,
        loginTimeoutMs: s.loginTimeoutMs,
        callDeadlineMs: s.callDeadlineMs,
      },
      failed: (connection, error) => this.#failed(error, `cid=${connection.cid}: `, false),
      counted: (code) => this.#errors.count(code),
    };
    this.#msg = await new MsgServer({
      host: s.host,
      port: s.port,
      ...(tls ? { tls } : {}),
      ...(s.proxyProtocol ? { proxyProtocol: s.proxyProtocol } : {}),
      // After close() has begun, new connections are turned away while the others finish.
      login: (conn) => (this.#stopped ? null : this.#accept(new ServerConnection(this.#nextCid++, conn, host))),
      loop: this.#loop,
      maxPacketSize: s.maxPacketSize,
      maxConnections: s.maxConnections,
      maxConnectionsPerAddress: s.maxConnectionsPerAddress,
      maxBufferedBytes: s.maxBufferedBytes,
      maxQueueBytes: s.maxQueueBytes,
      messageTimeoutMs: s.messageTimeoutMs,
      sendTimeoutMs: s.sendTimeoutMs,
      idleTimeoutMs: s.idleTimeoutMs,
    }).start();
    this.#msg.on('error', (error) => this.#failed(error));
    const address = this.#msg.address;
    if ('port' in address) s.port = address.port;
    const where = formatAddress({ host: s.host, port: s.port });
    this.log(
      1,
      `${s.name}: listening on ${where}${tls ? ' (TLS)' : ''}, formats ${this.messageFormats.join(',')}` +
        (auth ? `, login required${auth.scram ? ' (SCRAM-SHA-256 offered)' : ''}` : ''),
    );
    if (s.startLogListener) await this.#startLogListener(tls, auth);
    if (s.healthPort !== undefined) await this.#startHealth();
  }

  /** The balancer's health check: up until drain() or close() begins. */
  async #startHealth(): Promise<void> {
    const s = this.#settings;
    const endpoint = { host: s.host, port: s.healthPort ?? 0 };
    this.#health = await HealthEndpoint.start(this.#loop, endpoint, () => !this.draining && !this.#stopped);
    s.healthPort = this.#health.port;
    this.log(1, `Health check on ${formatAddress({ host: s.host, port: s.healthPort })}`);
  }

  async #startLogListener(tls: TlsOptions | undefined, auth: Authenticator | undefined): Promise<void> {
    const s = this.#settings;
    if (s.logListenerSsl && tls === undefined)
      throw rpcError('RPC_INVALID_OPTION', 'logListenerSsl needs ssl with its key and certificate');
    if (s.logListenerAuth && auth === undefined)
      throw rpcError('RPC_INVALID_OPTION', 'logListenerAuth needs authRequired');
    const endpoint = { host: s.host, port: s.port + 1, ...(s.logListenerSsl ? { tls } : {}) };
    const login = s.logListenerAuth
      ? (user: string, password: string, address: string | undefined) =>
          (auth as Authenticator).checkPassword(user, password, address)
      : undefined;
    this.#logListener = await new LogListener(this.#loop, endpoint, this, login).start();
    const where = formatAddress(endpoint);
    this.log(
      1,
      `Started log listener on ${where}${s.logListenerSsl ? ' (TLS)' : ''}${login ? ', login required' : ''}`,
    );
    const exposure = logListenerExposure(s.host, s.logListenerSsl, s.logListenerAuth);
    if (exposure) this.log(1, `WARNING: the log listener on ${where} ${exposure}`);
  }

  #accept(connection: ServerConnection) {
    this.#connections.add(connection);
    this.log(2, `cid=${connection.cid}: new connection from ${formatAddress(connection.remote)}`);
    this.#hook(connection, 'connect');
    this.#events.emit('connect', connection);
    return (_conn: unknown, msg: Uint8Array | undefined, error?: Error): void => {
      if (msg !== undefined) return connection.receive(msg);
      connection.ended();
      if (error instanceof RpcError) this.#errors.count(error.code);
      this.#gone.callsServed += connection.report().callsServed;
      this.#connections.delete(connection);
      this.log(2, `cid=${connection.cid}: client disconnected${error ? `: ${error.message}` : ''}`);
      this.#hook(connection, 'disconnect');
      this.#events.emit('disconnect', connection, error);
    };
  }

  /** Runs connectionHook; one that throws is logged, and the connection goes on. */
  #hook(connection: ServerConnection, event: 'connect' | 'disconnect'): void {
    try {
      this.#settings.connectionHook?.(connection, event);
    } catch (error) {
      this.log(1, `cid=${connection.cid}: connectionHook threw on ${event}: ${String(error)}`);
    }
  }

  /**
   * After a module reload: objects clients hold move to the new code, as Perl objects follow their reloaded package.
   */
  #moveObjects(exported: ExportedClass, previous: ClassImpl): void {
    let moved = 0;
    for (const connection of this.#connections) {
      for (const held of connection.objects.objects()) {
        if (held.className === exported.name && Object.getPrototypeOf(held.object) === previous.prototype) {
          Object.setPrototypeOf(held.object, exported.impl.prototype);
          moved++;
        }
      }
    }
    this.log(3, `Class '${exported.name}': ${moved} live object(s) moved to the new code`);
  }
}
