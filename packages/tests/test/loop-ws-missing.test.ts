import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A Node install of @rpc/loop-ws without its optional peer `ws`: the built packages copied (not linked, so that
// nothing resolves through the workspace) into a node_modules of their own, and a child process that uses them.
const root = join(__dirname, '..', '..', '..');
const packages = ['loop', 'loop-node', 'loop-ws'];

const program = (load: string): string => `${load}
const seen = (promise) => promise.then(() => 'resolved', (e) => ({
  name: e.name, code: e.code, usage: e instanceof UsageError, message: e.message,
}));
(async () => {
  const loop = new WsLoop();
  const report = {
    browser: typeof new BrowserWsLoop().connect,
    channel: typeof WsChannel,
    timer: await new Promise((resolve) => loop.timer(1, () => resolve('fired'))),
    listen: await seen(loop.listen({ host: '127.0.0.1', port: 0 }, () => undefined)),
    connect: await seen(loop.connect({ host: '127.0.0.1', port: 9 })),
  };
  console.log(JSON.stringify(report));
})();
`;

let dir = '';
// pnpm's bin wrappers put the whole store on NODE_PATH; a user's process has no such path.
const env = { ...process.env, NODE_PATH: '' };

beforeAll(() => {
  for (const name of packages) {
    if (!existsSync(join(root, 'packages', name, 'dist', 'cjs', 'index.js'))) {
      throw new Error(`packages/${name} is not built: run \`pnpm build\` first`);
    }
  }
  dir = mkdtempSync(join(tmpdir(), 'rpc-no-ws-'));
  for (const name of packages) {
    const into = join(dir, 'node_modules', '@rpc', name);
    cpSync(join(root, 'packages', name, 'package.json'), join(into, 'package.json'));
    cpSync(join(root, 'packages', name, 'dist'), join(into, 'dist'), { recursive: true });
  }
  const names = '{ BrowserWsLoop, WsChannel, WsLoop }';
  const esm = `import { UsageError } from '@rpc/loop';\nimport ${names} from '@rpc/loop-ws';`;
  const cjs = `const { UsageError } = require('@rpc/loop');\nconst ${names} = require('@rpc/loop-ws');`;
  writeFileSync(join(dir, 'esm.mjs'), program(esm));
  writeFileSync(join(dir, 'cjs.cjs'), program(cjs));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('@rpc/loop-ws installed without ws', () => {
  it('has no ws to find', () => {
    const probe = (): Buffer => execFileSync(process.execPath, ['-e', "require.resolve('ws')"], { cwd: dir, env });
    expect(probe).toThrow(/Cannot find module 'ws'/);
  });

  it.each(['esm.mjs', 'cjs.cjs'])(
    'imports (%s), and WsLoop fails to listen or connect with LOOP_WS_MISSING',
    (file) => {
      const out = execFileSync(process.execPath, [file], { cwd: dir, env, encoding: 'utf8', timeout: 20_000 });
      const missing = {
        name: 'UsageError',
        code: 'LOOP_WS_MISSING',
        usage: true,
        message: 'WsLoop needs the `ws` package in Node, and it is not installed: npm install ws',
      };
      const report: unknown = JSON.parse(out);
      expect(report).toEqual({
        browser: 'function',
        channel: 'function',
        timer: 'fired',
        listen: missing,
        connect: missing,
      });
    },
  );
});
