import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@rpc/testkit';
import { manifestProblems, workspacePackages } from '../src/published.js';
import { codeBlocks, TSC_FLAGS } from '../src/readme-blocks.js';
import { copyOfTree, git, root, run, startRegistry, tool, type Registry } from '../src/release.js';

// The release path as the root README describes it, end to end: an unbuilt copy of this tree (what a fresh clone
// has) is published to a local Verdaccio with the repository's own lerna configuration, and a new project installs
// @rpc/client and @rpc/server from there with npm and runs the README's quick start.
const tree = tempDir('rpc-release-tree-');
const registryDir = tempDir('rpc-release-registry-');
const project = tempDir('rpc-release-project-');
let registry: Registry;
const publicPackages = [...workspacePackages()].filter(([, pkg]) => !pkg.private);
const privatePackages = [...workspacePackages()].filter(([, pkg]) => pkg.private);
const published = async (name: string): Promise<Response> =>
  fetch(`${registry.url}${name.replace('/', '%2f')}`, { headers: { accept: 'application/json' } });
const publish = (): ReturnType<typeof tool> =>
  tool('lerna', ['publish', 'from-package', '--yes', '--registry', registry.url], tree.path);

beforeAll(async () => {
  await copyOfTree(tree.path);
  registry = await startRegistry(registryDir.path);
}, 180_000);

afterAll(async () => {
  await registry?.stop();
  for (const dir of [project, registryDir, tree]) dir[Symbol.dispose]();
}, 60_000);

it('publishes nothing from a tree that does not build', async () => {
  expect(existsSync(join(tree.path, 'packages', 'loop', 'dist'))).toBe(false); // unbuilt, as a fresh clone
  // What prepack refuses once it has built: here nothing is built, so all of it.
  const check = await run(process.execPath, ['scripts/pack.mjs', 'check', 'packages/loop'], tree.path);
  expect(check.code).toBe(1);
  expect(check.stderr).toMatch(/^refusing to pack @rpc\/loop:$/m);
  expect(check.stderr).toMatch(/^ {2}dist\/channel\.js is missing$/m);
  expect(check.stderr).toMatch(/^ {2}dist\/cjs\/index\.js is missing$/m);
  const index = join(tree.path, 'packages', 'loop', 'src', 'index.ts');
  writeFileSync(index, `${readFileSync(index, 'utf8')}export const broken: number = 'not a number';\n`);
  await git(tree.path, 'commit', '-q', '-am', 'fix(loop): a type error'); // lerna publishes committed trees only
  const outcome = await publish();
  await git(tree.path, 'reset', '-q', '--hard', 'HEAD~1');
  expect(outcome.code).not.toBe(0);
  expect(`${outcome.stdout}${outcome.stderr}`).toMatch(/refusing to pack @rpc\/loop:\s+its build failed/);
  for (const [name] of publicPackages) expect((await published(name)).status).toBe(404);
}, 300_000);

it('publishes every public package built, with a clean manifest, and no private one', async () => {
  const outcome = await publish();
  expect(outcome).toMatchObject({ code: 0 });
  expect(outcome.stderr).toMatch(`published ${publicPackages.length} packages`);
  for (const [name, { dir }] of publicPackages) {
    const document = (await (await published(name)).json()) as { versions: Record<string, Record<string, unknown>> };
    const manifest = document.versions['0.1.0'] ?? {};
    expect([name, manifestProblems(dir, manifest)]).toEqual([name, []]);
  }
  for (const [name] of privatePackages) expect((await published(name)).status).toBe(404);
  // Every manifest is as it was, and nothing was left beside it.
  expect(await git(tree.path, 'status', '--porcelain')).toBe('');
  for (const [, { dir }] of publicPackages)
    expect(existsSync(join(tree.path, 'packages', dir, 'package.json.orig'))).toBe(false);
}, 300_000);

it('installs @rpc/client and @rpc/server with npm, and runs the quick start as an ES module and as CommonJS', async () => {
  const dir = project.path;
  writeFileSync(join(dir, '.npmrc'), `@rpc:registry=${registry.url}\n`);
  // As the root README advises for npm 11: the native accelerators' install steps approved (and tsx's esbuild).
  const manifest = {
    name: 'user-project',
    private: true,
    allowScripts: { 'cbor-extract': true, 'msgpackr-extract': true, esbuild: true },
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const tools = ['tsx@4', 'typescript@5.9', '@types/node@20'];
  const install = await run('npm', ['install', '--no-audit', '--no-fund', '@rpc/client', '@rpc/server', ...tools], dir);
  expect(install).toMatchObject({ code: 0 });
  expect(install.stderr).not.toMatch(/extract/); // the accelerators installed without a warning
  const quickStart = codeBlocks(join(root, 'README.md')).find((block) => block.heading === 'Quick start' && block.run);
  const code = quickStart?.code ?? 'no quick start';
  const imports = code.split('\n').filter((line) => line.startsWith('import '));
  const body = code.split('\n').filter((line) => !line.startsWith('import '));
  writeFileSync(join(dir, 'quick-start.mts'), code);
  // CommonJS has no top-level await: the same program in an async function.
  writeFileSync(join(dir, 'quick-start.cts'), [...imports, 'void (async () => {', ...body, '})();'].join('\n'));
  const tsc = join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
  expect(await run(process.execPath, [tsc, ...TSC_FLAGS, 'quick-start.mts', 'quick-start.cts'], dir)).toMatchObject({
    code: 0,
  });
  for (const file of ['quick-start.mts', 'quick-start.cts']) {
    const outcome = await run(join(dir, 'node_modules', '.bin', 'tsx'), [file], dir);
    expect([file, outcome]).toEqual([file, { code: 0, stdout: 'Notebook has 2 lines\n', stderr: '' }]);
  }
}, 300_000);

it('lerna version turns conventional commits into versions and a CHANGELOG per package', async () => {
  const readme = join(tree.path, 'packages', 'msg', 'README.md');
  writeFileSync(readme, `${readFileSync(readme, 'utf8')}\nA new paragraph.\n`);
  // The tag `lerna version` would have made for the release just published.
  await git(tree.path, 'tag', '-a', 'v0.1.0', '-m', 'v0.1.0');
  await git(tree.path, 'commit', '-q', '-am', 'feat(msg): a new paragraph in the README');
  const outcome = await tool('lerna', ['version', '--yes', '--no-push'], tree.path);
  expect(outcome).toMatchObject({ code: 0 });
  const msg = JSON.parse(readFileSync(join(tree.path, 'packages', 'msg', 'package.json'), 'utf8'));
  expect(msg.version).toBe('0.2.0');
  const changelog = readFileSync(join(tree.path, 'packages', 'msg', 'CHANGELOG.md'), 'utf8');
  expect(changelog).toMatch(/### Features[\s\S]*a new paragraph in the README/);
  // One version line for all (lerna.json), and below 1.0 lerna bumps every package with any release; a package the
  // commit did not touch says so in its CHANGELOG.
  const codecJson = readFileSync(join(tree.path, 'packages', 'codec-json', 'CHANGELOG.md'), 'utf8');
  expect(codecJson).toMatch(/Version bump only for package @rpc\/codec-json/);
  expect(codecJson).not.toMatch(/Features/);
  expect(await git(tree.path, 'log', '-1', '--format=%s')).toMatch(/^chore\(release\): publish/);
}, 300_000);
