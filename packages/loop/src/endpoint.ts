import { loopError } from './errors.js';

/**
 * TLS settings passed through to the platform (node:tls in the Node
 * adapter). The common fields are typed; any other option of the platform
 * may be given as well.
 */
export interface TlsOptions {
  /** Private key in PEM (or several, one per certificate): a server's, or a client's for `requestCert`. */
  readonly key?: string | Uint8Array | ReadonlyArray<string | Uint8Array>;
  /** Certificate chain in PEM that goes with `key`. */
  readonly cert?: string | Uint8Array | ReadonlyArray<string | Uint8Array>;
  /** CA certificates in PEM to trust instead of the platform's defaults (for self-signed peers). */
  readonly ca?: string | Uint8Array | ReadonlyArray<string | Uint8Array>;
  /** Passphrase of an encrypted `key`. */
  readonly passphrase?: string;
  /** Name checked against the server certificate; defaults to the host. */
  readonly servername?: string;
  /**
   * Client: verify the server certificate (default true). Server: refuse clients without a valid certificate when
   * `requestCert` is set.
   */
  readonly rejectUnauthorized?: boolean;
  /** Server: ask each client for a certificate. */
  readonly requestCert?: boolean;
  /** Oldest TLS version to accept, such as `'TLSv1.2'`. */
  readonly minVersion?: string;
  readonly [option: string]: unknown;
}

/** What every endpoint may carry besides its address. */
export interface EndpointOptions {
  /** Run the channel over TLS with these settings; a listener then accepts TLS clients only. */
  readonly tls?: TlsOptions;
  /**
   * The largest message the caller accepts. Transports that frame messages
   * themselves (WebSocket's maxPayload) refuse larger ones before reading
   * them; byte-stream transports leave the check to the framing.
   */
  readonly maxMessageSize?: number;
}

/** A TCP address: `{ host?, port }`. */
export interface TcpEndpoint extends EndpointOptions {
  /** Listen: interface to bind (default all). Connect: peer host (default localhost). */
  readonly host?: string;
  /** 0 on listen picks a free port; the listener reports the one it got. */
  readonly port: number;
}

/** A Unix socket: `{ path }`. */
export interface UnixEndpoint extends EndpointOptions {
  /** The socket's file system path. */
  readonly path: string;
}

/** Where to listen or connect: TCP host and port, or a Unix socket path, either with TLS. */
export type Endpoint = TcpEndpoint | UnixEndpoint;

/** A bound or peer address as the platform reports it. */
export type Address =
  | {
      /** The IP address, or the host name where the platform tells none (a browser's WebSocket); may be empty. */
      readonly host: string;
      /** The TCP port. */
      readonly port: number;
    }
  | {
      /** The Unix socket's path. */
      readonly path: string;
    };

/** Whether `endpoint` is a Unix socket path rather than a TCP address. */
export function isUnixEndpoint(endpoint: Endpoint): endpoint is UnixEndpoint {
  return typeof (endpoint as UnixEndpoint).path === 'string';
}

/** `127.0.0.1:8080`, `[::1]:8080` or `unix:/run/app.sock`, for messages and logs. */
export function formatAddress(address: Address | Endpoint): string {
  if ('path' in address && typeof address.path === 'string') return `unix:${address.path}`;
  const { host, port } = address as TcpEndpoint;
  const name = host ?? '*';
  return name.includes(':') ? `[${name}]:${port}` : `${name}:${port}`;
}

/** Throws a UsageError unless `endpoint` names a TCP port in range or a non-empty socket path. */
export function checkEndpoint(endpoint: Endpoint): void {
  if (endpoint === null || typeof endpoint !== 'object') {
    throw loopError('LOOP_INVALID_ENDPOINT', 'endpoint must be { host?, port } or { path }');
  }
  if (isUnixEndpoint(endpoint)) {
    if (endpoint.path.length === 0) throw loopError('LOOP_INVALID_ENDPOINT', 'Unix socket path is empty');
    return;
  }
  const { port } = endpoint;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw loopError('LOOP_INVALID_ENDPOINT', `port must be an integer from 0 to 65535, got ${String(port)}`);
  }
}
