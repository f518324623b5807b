import type { AccessRules, AuthModule } from '@rpc/auth';
import type { ClassSpec, Logger, MessageFormat } from '@rpc/core';
import type { Loop, TlsOptions } from '@rpc/loop';
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
  name: string;
  /**
   * Where log lines go. None by default: the server is silent, unless NODE_DEBUG=rpc (then every line goes to stderr).
   */
  logger: Logger | undefined;
  /** Stream log lines to every client connected on port + 1. */
  startLogListener: boolean;
  connectionHook: ((connection: ServerConnection, event: 'connect' | 'disconnect') => void) | undefined;
  /**
   * Formats accepted, in order of preference: Event::RPC names (`'CBOR'`, `'JSON'`, `'MSGP'`) or codec objects (default
   * MSGP, CBOR, JSON). Read back, the effective offer: the names Perl knows first, as clients see it.
   */
  messageFormats: readonly MessageFormat[];
  insecureFormatsOk: boolean;
  /**
   * Largest message either way (default 2 GiB, as Event::RPC); clients must use the same. May be changed at any time,
   * for open connections too.
   */
  maxPacketSize: number;
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
  loop: Loop | undefined;

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

  /** Serve the log listener over TLS too (with the ssl key and certificate). */
  logListenerSsl: boolean;
  /** Log clients must log in first, sending `AUTH <user> <password>` on a line. */
  logListenerAuth: boolean;
}

export type ServerOptions = Partial<ServerSettings> & Pick<ServerSettings, 'classes'>;
