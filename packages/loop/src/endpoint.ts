import { loopError } from './errors.js';

/**
 * TLS settings passed through to the platform (node:tls in the Node
 * adapter). The common fields are typed; any other option of the platform
 * may be given as well.
 */
export interface TlsOptions {
  readonly key?: string | Uint8Array | ReadonlyArray<string | Uint8Array>;
  readonly cert?: string | Uint8Array | ReadonlyArray<string | Uint8Array>;
  readonly ca?: string | Uint8Array | ReadonlyArray<string | Uint8Array>;
  readonly passphrase?: string;
  /** Name checked against the server certificate; defaults to the host. */
  readonly servername?: string;
  /**
   * Client: verify the server certificate (default true). Server: refuse clients without a valid certificate when
   * `requestCert` is set.
   */
  readonly rejectUnauthorized?: boolean;
  readonly requestCert?: boolean;
  readonly minVersion?: string;
  readonly [option: string]: unknown;
}

/** What every endpoint may carry besides its address. */
export interface EndpointOptions {
  readonly tls?: TlsOptions;
  /**
   * The largest message the caller accepts. Transports that frame messages
   * themselves (WebSocket's maxPayload) refuse larger ones before reading
   * them; byte-stream transports leave the check to the framing.
   */
  readonly maxMessageSize?: number;
}

export interface TcpEndpoint extends EndpointOptions {
  /** Listen: interface to bind (default all). Connect: peer host (default localhost). */
  readonly host?: string;
  /** 0 on listen picks a free port; the listener reports the one it got. */
  readonly port: number;
}

export interface UnixEndpoint extends EndpointOptions {
  readonly path: string;
}

/** Where to listen or connect: TCP host and port, or a Unix socket path, either with TLS. */
export type Endpoint = TcpEndpoint | UnixEndpoint;

/** A bound or peer address as the platform reports it. */
export type Address = { readonly host: string; readonly port: number } | { readonly path: string };

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
