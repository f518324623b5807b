// Which files in a package's dist/ a build leaves that no source produces any more (the outputs of a deleted
// or renamed source: tsc's build mode never removes them). Shared by the build, which deletes them, and by
// prepack, which refuses to pack them.
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const OUTPUT = /\.(js|d\.ts)(\.map)?$/;

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

/** Paths (relative to the package) of compiled files in dist/ whose source in src/ is gone. */
export function orphans(dir, manifest) {
  const dist = join(dir, 'dist');
  if (!existsSync(dist)) return [];
  const bundle = manifest.exports?.['./browser']?.default?.replace(/^\.\//, '');
  return [...files(dist)]
    .map((path) => relative(dir, path))
    .filter((file) => OUTPUT.test(file) && file !== bundle && file !== `${bundle}.map`)
    .filter((file) => {
      const source = relative('dist', file)
        .replace(/^cjs\//, '')
        .replace(OUTPUT, '.ts');
      return !existsSync(join(dir, 'src', source));
    });
}
