import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A private temporary folder; disposing it (`using dir = tempDir()`) removes it with everything in it. */
export interface TempDir extends Disposable {
  readonly path: string;
}

/** A fresh private temporary folder named `prefix` and random letters, removed when disposed. */
export function tempDir(prefix = 'rpc-test-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

let sockets: string | undefined;
let made = 0;

/** Removes `path` when this process exits, for temporary files shared by the tests of a whole run. */
export function removeOnExit(path: string): void {
  process.once('exit', () => rmSync(path, { recursive: true, force: true }));
}

/**
 * A fresh Unix socket path in a private temporary folder of this process, removed when the process exits (a listener
 * removes its socket file when it closes; the folder goes at exit).
 */
export function socketPath(name = 'rpc.sock'): string {
  if (sockets === undefined) {
    sockets = mkdtempSync(join(tmpdir(), 'rpc-test-'));
    removeOnExit(sockets);
  }
  return join(sockets, `${++made}-${name}`);
}
