import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ASYNC_ERRORS } from '@rpc/async';
import { AUTH_ERRORS } from '@rpc/auth';
import { CODEC_ERRORS } from '@rpc/codec';
import { RPC_ERRORS } from '@rpc/core';
import { LOOP_ERRORS } from '@rpc/loop';
import { NATS_ERRORS } from '@rpc/loop-nats';
import { MPRPC_ERRORS } from '@rpc/mprpc';
import { MSG_ERRORS } from '@rpc/msg';

// Every error code a package lists is thrown somewhere, documented in that package's README and named by a test.
const packages = join(__dirname, '..', '..');
const tables = {
  loop: LOOP_ERRORS,
  'loop-nats': NATS_ERRORS,
  msg: MSG_ERRORS,
  codec: CODEC_ERRORS,
  auth: AUTH_ERRORS,
  core: RPC_ERRORS,
  mprpc: MPRPC_ERRORS,
  async: ASYNC_ERRORS,
};

function filesUnder(dir: string, keep: (path: string) => boolean): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) return [];
    return statSync(path).isDirectory() ? filesUnder(path, keep) : keep(path) ? [path] : [];
  });
}

const sources = filesUnder(
  packages,
  (path) =>
    /\/src\/.*\.ts$/.test(path) &&
    !path.includes('/tests/src/') &&
    !readFileSync(path, 'utf8').includes('satisfies ErrorTable'),
);
const tests = filesUnder(
  packages,
  (path) => /\/(test|src)\/.*\.ts$/.test(path) && (path.includes('/test/') || path.includes('/tests/src/')),
);
const text = (files: string[]): string => files.map((file) => readFileSync(file, 'utf8')).join('\n');
const sourceText = text(sources);
const testText = text(tests);

describe.each(Object.entries(tables))('the error codes of @rpc/%s', (name, table) => {
  const readme = readFileSync(join(packages, name, 'README.md'), 'utf8');
  it.each(Object.keys(table))('%s is thrown, documented and tested', (code) => {
    expect({ code, thrown: sourceText.includes(`'${code}'`) }).toEqual({ code, thrown: true });
    expect({ code, documented: readme.includes(`\`${code}\``) }).toEqual({ code, documented: true });
    expect({ code, tested: testText.includes(code) }).toEqual({ code, tested: true });
  });
});
