import type { AccessRules, AuthModule } from '@rpc/auth';
import type { ClassSpec, Logger, MessageFormat } from '@rpc/core';
import type { Loop, TlsOptions } from '@rpc/loop';
import type { ProxyProtocolOptions } from '@rpc/msg';
import type { ServerConnection } from './server-connection.js';

/**
 * Event::RPC::Server's options, camelCased. All may be read as properties, and set until start() (maxPacketSize at any
 * time).
 */
export interface ServerSettings {
  /** TCP port (0 picks a free one; `port` then reports it once listening). */
  port: number;
  /** Interface to bind; all interfaces when undefined. */
  host: string | undefined;
  /**
   * The exported classes: the whole surface clients can reach. A class may be given as `{ module, export }` to import
   * it when first used.
   */
  classes: Readonly<Record<string, ClassSpec>>;
  /** The server's name in its log lines (default `Event::RPC server`). */
  name: string;
  /**
   * Where log lines go. None by default: the server is silent, unless NODE_DEBUG=rpc (then every line goes to stderr).
   */
  logger: Logger | undefined;
  /** Stream log lines to every client connected on port + 1. */
  startLogListener: boolean;
  /**
   * Called when a client connects and when it disconnects, as Event::RPC's connection_hook; one that throws is logged
   * and the connection goes on.
   */
  connectionHook: ((connection: ServerConnection, event: 'connect' | 'disconnect') => void) | undefined;
  /**
   * Formats accepted, in order of preference: Event::RPC names (`'CBOR'`, `'JSON'`, `'MSGP'`) or codec objects (default
   * MSGP, CBOR, JSON). Read back, the effective offer: the names Perl knows first, as clients see it.
   */
  messageFormats: readonly MessageFormat[];
  /**
   * Also offer formats whose decoders can build arbitrary objects (Storable-style codecs), and accept old clients that
   * do not negotiate (default false).
   */
  insecureFormatsOk: boolean;
  /**
   * Largest message either way (default 16 MiB; Event::RPC's is 2 GiB, `PERL_MAX_PACKET_SIZE`); clients must use the
   * same. Until a client has negotiated and logged in, its messages may be at most 64 KiB. May be changed at any time,
   * for open connections too.
   */
  maxPacketSize: number;
  /** Connections open at once; more are closed at once (default 10,000). */
  maxConnections: number;
  /** Connections open at once from one IP address (default 256). */
  maxConnectionsPerAddress: number;
  /** Bytes all connections together may hold in unsent answers and incomplete messages (default 64 MiB). */
  maxBufferedBytes: number;
  /**
   * Bytes of answers one connection may hold unsent (default 16 MiB): past half, its requests are not read until it
   * reads.
   */
  maxQueueBytes: number;
  /** Calls with ids (`@rpc` clients) one connection runs at once; more are answered with an error (default 1024). */
  maxCallsInFlight: number;
  /** Calls one Perl client sends ahead, waiting their turn; more close the connection (default 256). */
  maxQueuedRequests: number;
  /** Objects one connection holds at once; more `new` calls are answered with an error (default 10,000). */
  maxObjects: number;
  /** References to objects one connection holds at once, all objects together (default 1,000,000). */
  maxReferences: number;
  /**
   * The server's functions, target objects and streams one `@rpc` client may hold at once; an answer handing over
   * more fails with RPC_LIMIT (default 10,000).
   */
  maxExports: number;
  /**
   * The client's functions, target objects and streams the server holds stubs of for one connection; a request
   * bringing more is refused with RPC_LIMIT (default 1,000: each stub costs the server memory, and a peer on the open
   * network chooses how many it sends).
   */
  maxImports: number;
  /** Values of one stream on their way or waiting to be read, either way: its window (default 64). */
  streamWindow: number;
  /** Requests that do not decode before a connection is closed (default 5). */
  maxProtocolErrors: number;
  /** Time from connecting to a negotiated format and, where required, a login (default 30 s). */
  loginTimeoutMs: number;
  /** Time a message may take to arrive once its first byte has (default 60 s). */
  messageTimeoutMs: number;
  /** Time a client may leave its answers unread, past half of maxQueueBytes, before it is closed (default 30 s). */
  sendTimeoutMs: number;
  /**
   * Close connections silent this long either way (default 0: never, as Event::RPC; Perl clients keep idle connections
   * open).
   */
  idleTimeoutMs: number;
  /**
   * Time a call may run before its client is answered with RPC_DEADLINE and its `activeSignal` aborts (default 0:
   * none).
   */
  callDeadlineMs: number;
  /** Time close() gives calls running to finish before answering them with RPC_SHUTDOWN (default 5 s). */
  shutdownTimeoutMs: number;
  /**
   * Import classes given as modules when a client first uses them (default true); with false they are imported at
   * start.
   */
  loadModules: boolean;
  /**
   * Import a module class again on the next call once its file changed on disk, moving live objects to the new code.
   * For development.
   */
  autoReloadModules: boolean;
  /** The event loop sockets and timers run on (default: `@rpc/msg`'s default loop, Node's). */
  loop: Loop | undefined;

  /**
   * Behind a TCP balancer (HAProxy `send-proxy-v2`): the balancers' addresses or networks (`{ from: ['10.0.0.0/8'] }`),
   * whose connections must begin with a PROXY header (v1 or v2); the client address it names is the connection's
   * `remote` in log lines, access rules, login limits, stats and maxConnectionsPerAddress. A PROXY header from anywhere
   * else is refused (MSG_PROXY_REFUSED). Not with `ssl`: the balancer ends TLS.
   */
  proxyProtocol: ProxyProtocolOptions | undefined;
  /**
   * A health check for balancers on this port (0 picks a free one, which `healthPort` then reports): any HTTP request
   * is answered `200 up`, or `503 draining` once drain() or close() has begun (default: none).
   */
  healthPort: number | undefined;

  /** Serve over TLS with the key and certificate below. */
  ssl: boolean;
  /** PEM key file (may be encrypted: sslPasswdCb gives the passphrase). */
  sslKeyFile: string | undefined;
  /** PEM certificate file (with its chain). */
  sslCertFile: string | undefined;
  /** Returns the key's passphrase, now or as a promise. */
  sslPasswdCb: (() => string | Promise<string>) | undefined;
  /** Further node:tls server options (`minVersion`, `ca` and `requestCert` for client certificates, ...). */
  sslOpts: TlsOptions | undefined;

  /** Nobody can call anything until they have logged in. */
  authRequired: boolean;
  /** Users and passwords for the built-in PasswdHash module: `{ fred: crypt('fred', password) }` or SCRAM verifiers. */
  authPasswdHref: Readonly<Record<string, string>> | undefined;
  /**
   * Your own auth module (checkCredentials, and scramCredentials for SCRAM logins); takes precedence over
   * authPasswdHref.
   */
  authModule: AuthModule | undefined;
  /** Per-user access: which classes and methods (constructors too) each user may call; everything else is refused. */
  authAccess: AccessRules | ((user: string, className: string, method: string) => boolean) | undefined;
  /** Failed logins on one connection before it is closed; each failure slows the next answer (default 5). */
  authMaxFailures: number;
  /**
   * Failed logins from one client address, over all its connections, before its further logins are refused unchecked
   * for authFailureWindowMs (default 20). IPv6 clients count by their /64 network.
   */
  authFailuresPerAddress: number;
  /**
   * Failed logins as one user, from anywhere, before that user's logins are refused unchecked for authFailureWindowMs
   * from every address it has not logged in from before (default 10).
   */
  authFailuresPerUser: number;
  /** How long failed logins are counted, and how long a limit reached refuses logins (default 10 minutes). */
  authFailureWindowMs: number;
  /** Credential checks running at once server-wide, whatever the number of connections (default 2). */
  authMaxConcurrentChecks: number;
  /** Logins waiting for a check beyond those running; further ones are refused at once (default 32). */
  authMaxQueuedChecks: number;

  /** Serve the log listener over TLS too (with the ssl key and certificate). */
  logListenerSsl: boolean;
  /** Log clients must log in first, sending `AUTH <user> <password>` on a line. */
  logListenerAuth: boolean;
}

/** What `new Server()` takes: any of the settings, of which only `classes` is required. */
export type ServerOptions = Partial<ServerSettings> & Pick<ServerSettings, 'classes'>;
