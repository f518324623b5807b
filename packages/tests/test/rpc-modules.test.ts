import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, RemoteError } from '@rpc/client';
import { tempDir } from '@rpc/testkit';
import { startChildServer, type ChildServer } from '../src/child-server.js';

// loadModules and autoReloadModules need real dynamic import(), so the server runs in its own
// Node process (fixtures/module-server.mjs, from the built packages); the module lives in a temp folder.
interface Counter {
  add(n: number): number;
  total(): number;
  version(): string;
}

/** Counter's module at version `v`: `add` multiplies by `factor`; every import is counted in imports.log. */
function counterModule(format: 'esm' | 'cjs', v: number, factor: number): string {
  const body = `
    class Counter {
      constructor() { this.sum = 0; }
      add(n) { return (this.sum += n * ${factor}); }
      total() { return this.sum; }
      version() { return 'v${v}'; }
    }`;
  const log = `require('node:fs').appendFileSync(require('node:path').join(__dirname, 'imports.log'), 'v${v}\\n');`;
  return format === 'esm'
    ? `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); const __dirname = import.meta.dirname;\n${log}\n${body}\nexport { Counter };\n`
    : `${log}\n${body}\nmodule.exports = { Counter };\n`;
}

const fixture = join(__dirname, '..', 'fixtures', 'module-server.mjs');

describe.each(['esm', 'cjs'] as const)('classes loaded from %s modules', (format) => {
  const file = format === 'esm' ? 'counter.mjs' : 'counter.cjs';
  let dir: string;
  let server: ChildServer;
  let client: Client;
  const imports = (): string[] => readFileSync(join(dir, 'imports.log'), 'utf8').trim().split('\n');

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rpc-modules-'));
    writeFileSync(join(dir, 'imports.log'), '');
    writeFileSync(join(dir, file), counterModule(format, 1, 1));
    server = await startChildServer(process.execPath, [fixture, file], dir); // a path relative to the server's working directory
    client = new Client({ host: '127.0.0.1', port: server.port });
    await client.connect();
  });

  afterEach(async () => {
    try {
      await client?.close();
      await server?.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('imports the module on first use, not at start', async () => {
    expect(readFileSync(join(dir, 'imports.log'), 'utf8')).toBe('');
    const counter = await client.remoteClass<Counter>('Counter').new();
    expect(await counter.add(2)).toBe(2);
    expect(await counter.version()).toBe('v1');
    expect(imports()).toEqual(['v1']);
  });

  it('reloads a changed module on the next call and moves live objects to the new code', async () => {
    const Counter = client.remoteClass<Counter>('Counter');
    const old = await Counter.new();
    expect(await old.add(5)).toBe(5);

    writeFileSync(join(dir, file), counterModule(format, 2, 10));
    expect(await old.version()).toBe('v2'); // the same object, now running the new code
    expect(await old.total()).toBe(5); // with its state kept
    expect(await old.add(1)).toBe(15);
    const fresh = await Counter.new();
    expect(await fresh.add(1)).toBe(10);
    expect(imports()).toEqual(['v1', 'v2']);
    expect(await old.version()).toBe('v2'); // unchanged file: no further import
    expect(imports()).toEqual(['v1', 'v2']);
    expect(server.stderr()).toContain("Class 'Counter': 1 live object(s) moved to the new code");
  });

  it('reports a module that fails to load to the caller, and recovers once it is fixed', async () => {
    const counter = await client.remoteClass<Counter>('Counter').new();
    writeFileSync(join(dir, file), 'this is not JavaScript (');
    const error = await counter.version().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as Error).message).toMatch(/^Can't load class Counter: /);
    writeFileSync(join(dir, file), counterModule(format, 3, 1));
    expect(await counter.version()).toBe('v3');
  });
});

it('takes a module given as a URL (new URL(..., import.meta.url))', async () => {
  using tmp = tempDir('rpc-modules-');
  const dir = tmp.path;
  writeFileSync(join(dir, 'imports.log'), '');
  writeFileSync(join(dir, 'counter.mjs'), counterModule('esm', 1, 3));
  await using server = await startChildServer(process.execPath, [fixture, 'url:counter.mjs', 'no-reload'], dir);
  await using client = new Client({ host: '127.0.0.1', port: server.port });
  await client.connect();
  const counter = await client.remoteClass<Counter>('Counter').new();
  expect(await counter.add(2)).toBe(6);
});

it('does not reload without autoReloadModules', async () => {
  using tmp = tempDir('rpc-modules-');
  const dir = tmp.path;
  writeFileSync(join(dir, 'imports.log'), '');
  writeFileSync(join(dir, 'counter.mjs'), counterModule('esm', 1, 1));
  await using server = await startChildServer(process.execPath, [fixture, 'counter.mjs', 'no-reload'], dir);
  await using client = new Client({ host: '127.0.0.1', port: server.port });
  await client.connect();
  const counter = await client.remoteClass<Counter>('Counter').new();
  writeFileSync(join(dir, 'counter.mjs'), counterModule('esm', 2, 10));
  expect(await counter.version()).toBe('v1');
});
