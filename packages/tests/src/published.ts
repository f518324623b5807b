import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

// What a registry user gets, checked in a packed tarball (packaging test) and on a registry (release test).
const root = join(__dirname, '..', '..', '..');
const REPOSITORY = 'git+https://github.com/rpc-ts/rpc.git';

/** Every package of the workspace by name, with whether it is private. */
export function workspacePackages(): Map<string, { dir: string; private: boolean }> {
  return new Map(
    readdirSync(join(root, 'packages')).map((dir) => {
      const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
      return [manifest.name as string, { dir, private: manifest.private === true }];
    }),
  );
}

/** The folders (under packages/) of the packages that are published: every one that is not private. */
export function publishedDirs(): string[] {
  return [...workspacePackages().values()].filter((pkg) => !pkg.private).map((pkg) => pkg.dir);
}

type Manifest = Record<string, unknown>;

/** What is wrong with the manifest of `packages/<dir>` as published: empty when nothing is. */
export function manifestProblems(dir: string, manifest: Manifest): string[] {
  const problems: string[] = [];
  const text = JSON.stringify(manifest);
  if (text.includes('workspace:')) problems.push('a workspace: range');
  // Only the postpack that puts the manifest back after packing, and it needs nothing from this repository.
  const { postpack, ...scripts } = (manifest.scripts ?? {}) as Record<string, string>;
  if (Object.keys(scripts).length > 0 || postpack?.includes('../'))
    problems.push(`scripts ${JSON.stringify(manifest.scripts)}`);
  if ('devDependencies' in manifest) problems.push('devDependencies');
  const packages = workspacePackages();
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const name of Object.keys((manifest[field] ?? {}) as Record<string, string>))
      if (packages.get(name)?.private) problems.push(`${field} names the private ${name}`);
  }
  const repository = manifest.repository as { url?: string; directory?: string } | undefined;
  if (repository?.url !== REPOSITORY || repository.directory !== `packages/${dir}`)
    problems.push(`repository ${JSON.stringify(repository)}`);
  if (typeof manifest.homepage !== 'string' || !manifest.homepage.startsWith('https://')) problems.push('homepage');
  if (typeof (manifest.bugs as { url?: unknown } | undefined)?.url !== 'string') problems.push('bugs');
  if (!Array.isArray(manifest.keywords) || manifest.keywords.length < 3) problems.push('keywords');
  // The registry turns `author` into an object.
  const author = manifest.author as string | { name?: unknown } | undefined;
  if (typeof author !== 'string' && typeof author?.name !== 'string') problems.push('author');
  if (manifest.license !== 'MIT') problems.push('license');
  return problems;
}

/** Source map references in an unpacked package that point at a file it does not contain. */
export function danglingSourceMaps(unpacked: string, files: readonly string[]): string[] {
  const dangling: string[] = [];
  const has = (path: string): boolean => existsSync(join(unpacked, path));
  for (const file of files.filter((f) => /\.(js|d\.ts)$/.test(f))) {
    const url = /^\/\/# sourceMappingURL=(.+)$/m.exec(readFileSync(join(unpacked, file), 'utf8'))?.[1];
    if (url === undefined) continue;
    const map = normalize(join(dirname(file), url));
    if (!has(map)) {
      dangling.push(`${file} -> ${map}`);
      continue;
    }
    // A source must be packed, unless the map carries its text (as the browser bundle's does).
    const { sources, sourcesContent = [] } = JSON.parse(readFileSync(join(unpacked, map), 'utf8')) as {
      sources: string[];
      sourcesContent?: (string | null)[];
    };
    sources.forEach((relativeSource, index) => {
      const source = normalize(join(dirname(map), relativeSource));
      if (!has(source) && typeof sourcesContent[index] !== 'string') dangling.push(`${map} -> ${source}`);
    });
  }
  return dangling;
}

/** Markdown links a registry's page cannot follow: relative ones, other than to an anchor on the page. */
export function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1] ?? '')
    .filter((target) => !/^(https?:|mailto:|#)/.test(target));
}
