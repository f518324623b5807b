import type { TlsOptions } from '@rpc/loop';
import { loadCaCertificates } from '@rpc/loop-node';
import { cliError, messageOf } from './errors.js';

/** The values of the TLS options as parseArgs gives them. */
export interface TlsFlags {
  readonly tls?: boolean;
  readonly ca?: string;
  readonly 'ca-path'?: string;
  readonly insecure?: boolean;
}

/**
 * node:tls options for `--tls`, `--ca FILE`, `--ca-path DIR` and `--insecure` (any of them means TLS), or undefined
 * for plain TCP. The server is verified against the CAs given, else the system's; `--insecure` turns verification
 * off, as curl's `-k`. A CA file or directory that cannot be read, or holds no certificate, is a usage error.
 */
export async function tlsOptionsOf(flags: TlsFlags): Promise<TlsOptions | undefined> {
  const caFile = flags.ca;
  const caPath = flags['ca-path'];
  if (!flags.tls && caFile === undefined && caPath === undefined && !flags.insecure) return undefined;
  let ca: string[] = [];
  if (caFile !== undefined || caPath !== undefined) {
    const named = caFile !== undefined ? `--ca ${caFile}` : `--ca-path ${caPath}`;
    try {
      ca = await loadCaCertificates(caFile, caPath);
    } catch (error) {
      throw cliError('CLI_USAGE', `cannot read ${named}: ${messageOf(error)}`);
    }
    if (ca.length === 0) throw cliError('CLI_USAGE', `no PEM certificate in ${named}`);
  }
  return { ...(ca.length > 0 ? { ca } : {}), ...(flags.insecure ? { rejectUnauthorized: false } : {}) };
}
