import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { danglingSourceMaps, manifestProblems, publishedDirs, relativeLinks } from '../src/published.js';

// These tests check what users install: the built dist/ of each package.
const root = join(__dirname, '..', '..', '..');
const fixtures = join(__dirname, '..', 'fixtures');
const published = publishedDirs();

function run(file: string): unknown {
  return JSON.parse(
    execFileSync(process.execPath, [join(fixtures, file)], { cwd: fixtures, encoding: 'utf8', timeout: 20_000 }),
  );
}

beforeAll(() => {
  for (const name of published) {
    if (!existsSync(join(root, 'packages', name, 'dist', 'cjs', 'index.js'))) {
      throw new Error(`packages/${name} is not built: run \`pnpm build\` first`);
    }
  }
});

describe('published packages', () => {
  it('work from a CommonJS consumer', () => {
    expect(run('consumer.cjs')).toEqual({
      back: 'cjs',
      rpc: 'hello cjs',
      transportError: 'function',
      codecs: ['JSON:1', 'CBOR:1', 'MSGP:1'],
    });
  });

  it('work from an ES module consumer', () => {
    expect(run('consumer.mjs')).toEqual({
      back: 'esm',
      rpc: 'hello esm',
      transportError: 'function',
      codecs: ['JSON:1', 'CBOR:1', 'MSGP:1'],
    });
  });

  it.each([
    [
      'a CommonJS',
      ['-e'],
      "const { serealCodec } = require('@rpc/codec-sereal'); const { TaggedValue } = require('@rpc/codec');",
    ],
    [
      'an ES module',
      ['--input-type=module', '-e'],
      "import { serealCodec } from '@rpc/codec-sereal'; import { TaggedValue } from '@rpc/codec';",
    ],
  ])('load @rpc/codec-sereal from %s consumer', (_kind, flags, imports) => {
    // A round trip whose TaggedValue must be the one class both module formats share with @rpc/codec.
    const script = `${imports} const c = serealCodec(); const back = c.decode(c.encode([{ x: 1 }, new TaggedValue('A', [['SCALAR', 'a']])]));
      console.log(JSON.stringify({ name: c.name, x: back[0].x, tagged: back[1] instanceof TaggedValue }));`;
    const out = execFileSync(process.execPath, [...flags, script], {
      cwd: fixtures,
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(JSON.parse(out)).toEqual({ name: 'SERL', x: 1, tagged: true });
  });

  it('give types to CommonJS and ES module TypeScript consumers alike', () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    expect(() =>
      execFileSync(process.execPath, [tsc, '-p', join(fixtures, 'tsconfig.json')], { encoding: 'utf8' }),
    ).not.toThrow();
  });

  it.each(published)(
    '@rpc/%s packs built, with a clean manifest, no tests, maps and links that resolve; publint and attw agree',
    (name) => {
      const dir = join(root, 'packages', name);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      expect(manifest).toMatchObject({
        name: `@rpc/${name}`,
        license: 'MIT',
        sideEffects: false,
        publishConfig: { access: 'public' },
        exports: { '.': { import: { types: './dist/index.d.ts' }, require: { types: './dist/cjs/index.d.ts' } } },
      });
      expect(Object.keys(manifest.exports['.'].import)[0]).toBe('types');
      const packs = mkdtempSync(join(tmpdir(), 'rpc-pack-'));
      try {
        // npm pack as a user runs it: prepack builds the package and writes the manifest it publishes.
        const before = readFileSync(join(dir, 'package.json'), 'utf8');
        const [pack] = JSON.parse(
          execFileSync('npm', ['pack', '--json', '--pack-destination', packs], {
            cwd: dir,
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'ignore'],
          }),
        );
        expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe(before); // postpack put it back
        expect(existsSync(join(dir, 'package.json.orig'))).toBe(false);
        const files: string[] = pack.files.map((f: { path: string }) => f.path);
        execFileSync('tar', ['xzf', join(packs, pack.filename as string), '-C', packs]);
        const unpacked = join(packs, 'package');
        expect(manifestProblems(name, JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')))).toEqual([]);
        expect(danglingSourceMaps(unpacked, files)).toEqual([]);
        expect(relativeLinks(readFileSync(join(unpacked, 'README.md'), 'utf8'))).toEqual([]);
        expect(files).toEqual(
          expect.arrayContaining([
            'LICENSE',
            'README.md',
            'package.json',
            'dist/index.js',
            'dist/index.d.ts',
            'dist/cjs/index.js',
            'dist/cjs/index.d.ts',
            'dist/cjs/package.json',
          ]),
        );
        expect(files.filter((f) => f.startsWith('test/') || f.includes('.test.'))).toEqual([]);
        // What npm would publish: publint (exports, files, fields) with warnings as errors, and arethetypeswrong
        // (types for ESM, CommonJS and bundlers alike; Node 10's resolution is not a target, engines say Node 20).
        const tarball = join(packs, pack.filename as string);
        const bin = (tool: string): string => join(root, 'node_modules', '.bin', tool);
        expect(() => execFileSync(bin('publint'), [tarball, '--strict'], { encoding: 'utf8' })).not.toThrow();
        const browser = manifest.exports['./browser'] === undefined ? [] : ['--exclude-entrypoints', './browser'];
        expect(() =>
          execFileSync(bin('attw'), [tarball, '--profile', 'node16', ...browser], { encoding: 'utf8' }),
        ).not.toThrow();
        // The browser bundle is an ES module only: its types, for ESM and bundlers.
        if (browser.length > 0)
          expect(() =>
            execFileSync(bin('attw'), [tarball, '--profile', 'esm-only', '--entrypoints', './browser'], {
              encoding: 'utf8',
            }),
          ).not.toThrow();
      } finally {
        rmSync(packs, { recursive: true, force: true });
      }
    },
  );
});
