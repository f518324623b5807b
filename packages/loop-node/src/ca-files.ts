import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The PEM CA certificates in `caFile` and in the files of the directory
 * `caPath` (an OpenSSL CA directory: hashed links or plain .pem/.crt files),
 * for the `ca` TLS option.
 */
export async function loadCaCertificates(caFile?: string, caPath?: string): Promise<string[]> {
  const texts: string[] = [];
  if (caFile !== undefined) texts.push(await readFile(caFile, 'utf8'));
  if (caPath !== undefined) {
    for (const entry of await readdir(caPath, { withFileTypes: true })) {
      if (entry.isFile() || entry.isSymbolicLink())
        texts.push(await readFile(join(caPath, entry.name), 'utf8').catch(() => ''));
    }
  }
  return texts.flatMap((text) => text.match(PEM_CERTIFICATE) ?? []);
}
