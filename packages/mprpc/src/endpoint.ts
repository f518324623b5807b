import type { Endpoint, TlsOptions } from '@rpc/loop';

/**
 * AnyEvent::MPRPC's addressing: `port` is a TCP port or a Unix socket path;
 * `address` binds (server) or names (client) the host, all interfaces or
 * localhost when undefined; `address: 'unix/'` also means a Unix socket.
 */
export function endpointOf(port: number | string, address: string | undefined, tls?: TlsOptions): Endpoint {
  const extra = tls ? { tls } : {};
  if (typeof port === 'string' || address === 'unix/') return { path: String(port), ...extra };
  return { ...(address === undefined ? {} : { host: address }), port, ...extra };
}
