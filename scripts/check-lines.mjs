#!/usr/bin/env node
// Fails on source lines longer than 120 characters. The formatter (Biome) wraps code at 120, but it leaves
// comments and long strings as written: this catches those, in the packages' src/ and in scripts/.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const LIMIT = 120;
const files = execFileSync('git', ['ls-files', 'packages/*/src/*', 'packages/*/src/**', 'scripts/*'], {
  encoding: 'utf8',
})
  .split('\n')
  .filter((file) => /\.(ts|mts|cts|js|mjs|cjs)$/.test(file));
const long = files.flatMap((file) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line, i) => (line.length > LIMIT ? [`${file}:${i + 1}: ${line.length} characters`] : [])),
);
if (long.length > 0) {
  console.error(`Source lines over ${LIMIT} characters:\n${long.join('\n')}`);
  process.exit(1);
}
