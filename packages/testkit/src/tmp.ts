import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh Unix socket path in a private temporary folder. */
export function socketPath(name = 'rpc.sock'): string {
  return join(mkdtempSync(join(tmpdir(), 'rpc-test-')), name);
}
