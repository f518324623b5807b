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

const leftovers = new Set<string>();
const cleanups: Array<() => void> = [];

function removeLeftovers(): void {
  for (const path of leftovers) rmSync(path, { recursive: true, force: true });
  leftovers.clear();
  for (const cleanup of cleanups.splice(0)) cleanup();
}

// Under jest, once the tests of the file that loaded this module have run (jest keeps one module registry per test
// file, and runs no exit handlers registered by tests); elsewhere, when the process exits.
const jestAfterAll = (globalThis as { afterAll?: (hook: () => void) => void }).afterAll;
let hooked = false;
try {
  if (typeof jestAfterAll === 'function') {
    jestAfterAll(removeLeftovers);
    hooked = true;
  }
} catch {
  // loaded from inside a test, where no hook can be added: at exit, then
}
if (!hooked) process.once('exit', removeLeftovers);

/**
 * Removes `path` (a temporary file or folder shared by several tests) once the tests of this test file have run, or
 * when the process exits outside jest; `forget` runs then too, to drop whatever pointed at it.
 */
export function removeWhenDone(path: string, forget?: () => void): void {
  leftovers.add(path);
  if (forget !== undefined) cleanups.push(forget);
}

let sockets: string | undefined;
let made = 0;

/**
 * A fresh Unix socket path in a private temporary folder, removed with the folder when the tests of the file are done
 * (a listener removes its own socket file when it closes).
 */
export function socketPath(name = 'rpc.sock'): string {
  if (sockets === undefined) {
    sockets = mkdtempSync(join(tmpdir(), 'rpc-test-'));
    removeWhenDone(sockets, () => (sockets = undefined));
  }
  return join(sockets, `${++made}-${name}`);
}
