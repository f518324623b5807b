#!/usr/bin/env node
// The `rpc` command: run() over the process's streams, with Ctrl-C ending the command (a second one kills).
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run } from './run.js';

/** The version in @rpc/cli's package.json, found above this file. */
function packageVersion(): string | undefined {
  try {
    for (let dir = dirname(realpathSync(process.argv[1] as string)); dir !== dirname(dir); dir = dirname(dir)) {
      const file = join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === '@rpc/cli') return manifest.version;
    }
  } catch {
    // no manifest to read: no version to tell
  }
  return undefined;
}

const interrupt = new AbortController();
process.once('SIGINT', () => interrupt.abort());
// `rpc log ... | head -1`: once the reader has gone, stop quietly.
process.stdout.on('error', () => interrupt.abort());
const version = packageVersion();
run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  signal: interrupt.signal,
  ...(version === undefined ? {} : { version }),
}).then((status) => {
  process.exitCode = status;
});
