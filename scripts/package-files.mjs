// The files of the workspace's packages, as the build and prepack see them: the packages, their TypeScript
// sources, and the compiled files in dist/ that no source produces any more (the outputs of a deleted or renamed
// source: tsc's build mode never removes them), which the build deletes and prepack refuses to pack.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT = /\.(js|d\.ts)(\.map)?$/;

/** The folder of every package in the workspace. */
export const packageDirs = () => readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name));

/** Every file under `dir`, depth first. */
function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

/** The TypeScript sources under `src`, declaration files aside. */
export function* sources(src) {
  for (const path of walk(src)) if (path.endsWith('.ts') && !path.endsWith('.d.ts')) yield path;
}

/** Paths (relative to the package) of compiled files in dist/ whose source in src/ is gone. */
export function orphans(dir, manifest) {
  const dist = join(dir, 'dist');
  if (!existsSync(dist)) return [];
  const bundle = manifest.exports?.['./browser']?.default?.replace(/^\.\//, '');
  return [...walk(dist)]
    .map((path) => relative(dir, path))
    .filter((file) => OUTPUT.test(file) && file !== bundle && file !== `${bundle}.map`)
    .filter((file) => {
      const source = relative('dist', file)
        .replace(/^cjs\//, '')
        .replace(OUTPUT, '.ts');
      return !existsSync(join(dir, 'src', source));
    });
}
