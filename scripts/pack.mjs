#!/usr/bin/env node
// The prepack of every public package, run by npm and lerna in the package's folder:
//   prepack   builds the package, refuses to pack it if dist/ is still missing a file, holds a file whose source
//             is gone, or is older than a source, and leaves in package.json only what a registry user reads: no
//             build scripts or devDependencies, sibling ranges (`workspace:^`) turned into the versions they name.
//             A dependency on a private package is refused. The manifest as it was waits in package.json.orig.
//   check     only the refusal: is dist/ complete, and newer than the sources?
//   clean     removes every package.json.orig (the root's postpublish, after `lerna publish`).
// Who puts the manifest back: after `npm pack`, the package's postpack (a one-line rename). `lerna publish` and
// `npm publish` read the manifest again after packing and send it to the registry, so then the stripped one must
// stay: lerna restores every manifest from git when it is done (`npm publish` in a package's folder leaves it for
// `git checkout`).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { orphans, packageDirs, root, sources } from './package-files.mjs';

const ORIGINAL = 'package.json.orig';
const [command, dir = process.cwd()] = process.argv.slice(2);

const readManifest = (path) => JSON.parse(readFileSync(path, 'utf8'));

function fail(name, problems) {
  console.error(`refusing to pack ${name}:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}

/** Every file the manifest points users at: exports, main, types, bin. */
function entryFiles(manifest) {
  const files = [];
  const visit = (value) => {
    if (typeof value === 'string') files.push(value);
    else if (value !== null && typeof value === 'object') for (const inner of Object.values(value)) visit(inner);
  };
  visit([manifest.exports, manifest.main, manifest.types, manifest.bin]);
  return files.filter((file) => !file.endsWith('package.json'));
}

/**
 * What is missing from dist/ or older than the source it is built from. tsc's build mode leaves an output untouched
 * when a newer source emits the same text, so its record of the last build (tsconfig.tsbuildinfo) stands for the
 * ES module outputs; the CommonJS files are written anew by every build.
 */
function staleness(dir, manifest) {
  const problems = [];
  const need = (file, source) => {
    const path = join(dir, file);
    if (!existsSync(path)) problems.push(`${file} is missing`);
    else if (source !== undefined && statSync(path).mtimeMs < statSync(source).mtimeMs)
      problems.push(`${file} is older than ${relative(dir, source)}`);
  };
  const src = join(dir, 'src');
  for (const source of sources(src)) {
    const rel = relative(src, source).replace(/\.ts$/, '');
    need(`dist/${rel}.js`);
    need(`dist/${rel}.d.ts`);
    need('tsconfig.tsbuildinfo', source);
    if (manifest.exports?.['.']?.require !== undefined) need(`dist/cjs/${rel}.js`, source);
  }
  for (const file of entryFiles(manifest)) need(file);
  for (const orphan of orphans(dir, manifest)) problems.push(`${orphan} has no source`);
  need('LICENSE');
  return problems;
}

/** The manifest a registry user gets. */
function publishedManifest(manifest) {
  const siblings = new Map(
    packageDirs()
      .map((path) => readManifest(join(path, 'package.json')))
      .map((m) => [m.name, m]),
  );
  // The postpack stays: lerna runs the scripts it read before prepack from the manifest it re-reads after, and fails
  // on one that is gone. It needs nothing from this repository and does nothing outside `npm pack`.
  const { devDependencies: _devDependencies, ...published } = {
    ...manifest,
    scripts: { postpack: manifest.scripts.postpack },
  };
  const problems = [];
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [name, range] of Object.entries(published[field] ?? {})) {
      const sibling = siblings.get(name);
      if (sibling?.private) problems.push(`${field} names ${name}, which is private and never published`);
      if (!range.startsWith('workspace:')) continue;
      if (sibling === undefined) problems.push(`${field} names ${name}@${range}, which is not in this workspace`);
      const spec = range.slice('workspace:'.length);
      published[field][name] =
        spec === '*' ? sibling?.version : spec === '^' || spec === '~' ? spec + sibling?.version : spec;
    }
  }
  if (problems.length > 0) fail(manifest.name, problems);
  return published;
}

function prepack(dir) {
  const manifest = readManifest(join(dir, 'package.json'));
  if (manifest.private) fail(manifest.name, ['it is private']);
  try {
    execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), dir], { stdio: 'inherit' });
  } catch {
    fail(manifest.name, ['its build failed']);
  }
  const problems = staleness(dir, manifest);
  if (problems.length > 0) fail(manifest.name, problems);
  const published = publishedManifest(manifest);
  // npm ran this prepack because package.json has one: it is the real manifest, whatever an earlier pack left.
  renameSync(join(dir, 'package.json'), join(dir, ORIGINAL));
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(published, null, 2)}\n`);
}

switch (command) {
  case 'prepack':
    prepack(dir);
    break;
  case 'clean':
    for (const path of packageDirs()) rmSync(join(path, ORIGINAL), { force: true });
    break;
  case 'check': {
    const manifest = readManifest(join(dir, 'package.json'));
    const problems = staleness(dir, manifest);
    if (problems.length > 0) fail(manifest.name, problems);
    break;
  }
  default:
    console.error('usage: pack.mjs prepack|check [DIR] | clean');
    process.exit(2);
}
