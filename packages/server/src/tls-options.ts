import { readFile } from 'node:fs/promises';
import { rpcError } from '@rpc/core';
import type { TlsOptions } from '@rpc/loop';

export interface SslSettings {
  readonly ssl: boolean;
  readonly sslKeyFile: string | undefined;
  readonly sslCertFile: string | undefined;
  readonly sslPasswdCb: (() => string | Promise<string>) | undefined;
  readonly sslOpts: TlsOptions | undefined;
}

/** node:tls server options from Event::RPC's ssl_* settings; undefined when ssl is off. */
export async function serverTlsOptions(s: SslSettings): Promise<TlsOptions | undefined> {
  if (!s.ssl) return undefined;
  if (s.sslKeyFile === undefined || s.sslCertFile === undefined)
    throw rpcError('RPC_INVALID_OPTION', 'ssl needs sslKeyFile and sslCertFile');
  const [key, cert] = await Promise.all([readFile(s.sslKeyFile), readFile(s.sslCertFile)]);
  const passphrase = s.sslPasswdCb === undefined ? undefined : await s.sslPasswdCb();
  return { key, cert, ...(passphrase === undefined ? {} : { passphrase }), ...s.sslOpts };
}
