import type { Endpoint, TlsOptions } from '@rpc/loop';

/**
 * AnyEvent::MPRPC's addressing: `port` is a TCP port or a Unix socket path;
 * `host` (AnyEvent's `address`) binds (server) or names (client) the host,
 * all interfaces when undefined; `host: 'unix/'` also means a Unix socket.
 */
export function endpointOf(port: number | string, host: string | undefined, tls?: TlsOptions): Endpoint {
  const extra = tls ? { tls } : {};
  if (typeof port === 'string' || host === 'unix/') return { path: String(port), ...extra };
  return { ...(host === undefined ? {} : { host }), port, ...extra };
}
