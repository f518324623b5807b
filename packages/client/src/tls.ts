import type { TlsOptions } from '@rpc/loop';
import { loadCaCertificates } from './platform.js';

export interface ClientSslSettings {
  readonly ssl?: boolean;
  readonly sslCaFile?: string;
  readonly sslCaPath?: string;
  readonly sslOpts?: TlsOptions;
}

/**
 * TLS connect options from Event::RPC's ssl_* client settings; undefined
 * when ssl is off. The server is verified unless sslOpts says
 * `rejectUnauthorized: false`: against the CAs of sslCaFile and sslCaPath
 * when given, else against the system's.
 */
export async function clientTlsOptions(s: ClientSslSettings): Promise<TlsOptions | undefined> {
  if (!s.ssl) return undefined;
  const ca =
    s.sslCaFile === undefined && s.sslCaPath === undefined ? [] : await loadCaCertificates(s.sslCaFile, s.sslCaPath);
  return { ...(ca.length > 0 ? { ca } : {}), ...s.sslOpts };
}
