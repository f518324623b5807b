import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { publishedDirs } from '../src/published.js';

// The API documentation (`pnpm run docs`, scripts/docs.mjs with typedoc.json) covers every public package,
// and TypeDoc's validation finds nothing: each export has a doc comment, every type that a public
// signature uses is exported, every {@link} resolves. Run here without writing the site.
const root = join(__dirname, '..', '..', '..');
const published = publishedDirs();

interface DocsRun {
  code: number;
  /** TypeDoc's warnings and errors, one line each, without the source excerpts that follow some. */
  problems: string[];
}

/** Runs scripts/docs.mjs (TypeDoc with the repository's options) with `args`, writing nothing. */
function validateDocs(...args: string[]): Promise<DocsRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(root, 'scripts', 'docs.mjs'), ...args, '--emit', 'none', '--logLevel', 'Warn'],
      { cwd: root, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const problems = `${stdout}\n${stderr}`
          .split('\n')
          .filter((line) => /\[(warning|error)\]/.test(line))
          .map((line) => line.trim());
        resolve({ code: typeof error?.code === 'number' ? error.code : error ? 1 : 0, problems });
      },
    );
  });
}

describe('the public packages', () => {
  beforeAll(() => {
    // TypeDoc compiles each package against its dependencies' declarations, as a consumer would.
    for (const name of published) {
      if (!existsSync(join(root, 'packages', name, 'dist', 'index.d.ts'))) {
        throw new Error(`packages/${name} is not built: run \`pnpm build\` first`);
      }
    }
  });

  it('have every export documented, without a warning', async () => {
    const { code, problems } = await validateDocs();
    expect(problems).toEqual([]);
    expect(code).toBe(0);
  }, 180_000);
});

describe('on a package with gaps', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rpc-docs-'));
    const files: Record<string, string> = {
      'gaps/package.json': JSON.stringify({
        name: '@fixture/gaps',
        version: '1.0.0',
        type: 'module',
        exports: { '.': { import: { types: './dist/index.d.ts', default: './dist/index.js' } } },
      }),
      'gaps/tsconfig.json': JSON.stringify({
        extends: join(root, 'tsconfig.base.json'),
        compilerOptions: { rootDir: 'src', outDir: 'dist' },
        include: ['src'],
      }),
      'gaps/README.md': '# @fixture/gaps\n\nA package whose API documentation has gaps.\n',
      'gaps/src/index.ts': [
        '/** Adds two numbers, unlike {@link subtract}. */',
        'export function documented(a: number, b: number): number {',
        '  return a + b;',
        '}',
        '',
        'export const undocumentedLimit = 10;',
        '',
        '/** Options of {@link withHidden}, a type the package forgets to export. */',
        'interface Hidden {',
        '  /** How long to wait, in ms. */',
        '  timeoutMs: number;',
        '}',
        '',
        '/** Takes options of a type that is not exported. */',
        'export function withHidden(options: Hidden): number {',
        '  return options.timeoutMs;',
        '}',
        '',
      ].join('\n'),
      // A private package is not documented: this one would fail, having no source.
      'private/package.json': JSON.stringify({ name: '@fixture/private', private: true, exports: './dist/index.js' }),
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails, naming the undocumented export, the type that is not exported and the broken link', async () => {
    const { code, problems } = await validateDocs('--packages', dir);
    expect(code).not.toBe(0);
    expect(problems).toHaveLength(3);
    expect(problems).toEqual(
      expect.arrayContaining([
        '[warning] undocumentedLimit (Variable), defined in @fixture/gaps/src/index.ts, does not have any documentation',
        '[warning] Hidden, defined in @fixture/gaps/src/index.ts, is referenced by withHidden.options' +
          ' but not included in the documentation',
        expect.stringMatching(/Failed to resolve link to "subtract" in comment for .*documented/),
      ]),
    );
  }, 180_000);
});
