import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { MprpcServer } from '@rpc/mprpc';
import { socketPath, testPkiFiles, waitFor } from '@rpc/testkit';
import { EXIT } from '../src/index.js';
import { jsonLines, rpc } from './helpers.js';

// `rpc mprpc` and `rpc notify` against our @rpc/mprpc server (TCP, Unix socket, TLS) and against neovim
// (`nvim --headless --listen`, installed by scripts/setup-peers.sh).

interface Api {
  sum(a: number, b: number): number;
  echo(...params: unknown[]): unknown[];
  fail(): never;
  hang(): never;
  note(...params: unknown[]): void;
}

function served(notes: unknown[][]): MprpcServer<Api> {
  return new MprpcServer<Api>({ host: '127.0.0.1', port: 0, shutdownTimeoutMs: 100 }).regCb({
    sum: (res, a, b) => res?.result(a + b),
    echo: (res, ...params) => res?.result(params),
    fail: (res) => res?.error('it failed'),
    hang: () => undefined,
    note: (res, ...params) => void notes.push([res === undefined ? 'notification' : 'request', ...params]),
  });
}

describe('rpc mprpc and rpc notify against our MessagePack-RPC server', () => {
  const notes: unknown[][] = [];
  let server: MprpcServer<Api>;
  let at: string;

  beforeAll(async () => {
    server = await served(notes).start();
    at = `127.0.0.1:${(server.address as { port: number }).port}`;
  });

  afterAll(async () => {
    await server.close();
  });

  it('calls a method and prints its result, indented or with --json on one line', async () => {
    expect(await rpc(['mprpc', at, 'sum', '1', '-2'])).toEqual({ status: EXIT.OK, stdout: '-1\n', stderr: '' });
    const echo = await rpc(['mprpc', at, 'echo', '"ü"', '{"a":[1,null]}', '{"$bytes":"AAH+"}']);
    expect(echo).toMatchObject({ status: EXIT.OK, stderr: '' });
    expect(echo.stdout).toBe(`${JSON.stringify(['ü', { a: [1, null] }, { $bytes: 'AAH+' }], null, 2)}\n`);
    const compact = await rpc(['mprpc', '--json', at, 'echo', 'true', '1.5']);
    expect(compact.stdout).toBe('[true,1.5]\n');
  });

  it('prints the error the server answers with, exit 1', async () => {
    expect(await rpc(['mprpc', at, 'fail'])).toEqual({
      status: EXIT.CALL_FAILED,
      stdout: '',
      stderr: 'error RPC_REMOTE: it failed\n',
    });
    expect(await rpc(['mprpc', at, 'nope'])).toEqual({
      status: EXIT.CALL_FAILED,
      stdout: '',
      stderr: 'error RPC_REMOTE: Method not found: nope\n',
    });
    const late = await rpc(['mprpc', '--timeout', '0.3', at, 'hang']);
    expect(late).toMatchObject({ status: EXIT.CALL_FAILED, stdout: '' });
    expect(late.stderr).toMatch(/^error RPC_DEADLINE: /);
  });

  it('sends a notification and prints nothing', async () => {
    expect(await rpc(['notify', at, 'note', '"from the cli"', '2'])).toEqual({
      status: EXIT.OK,
      stdout: '',
      stderr: '',
    });
    await waitFor(() => notes.length === 1, 'the notification', 30_000);
    expect(notes).toEqual([['notification', 'from the cli', 2]]);
  });

  it('connects to a Unix socket given as unix:PATH or as a path', async () => {
    const path = socketPath('mprpc.sock');
    await using unix = await new MprpcServer<Api>({ port: path })
      .regCb({ sum: (res, a, b) => res?.result(a + b) })
      .start();
    void unix;
    expect(await rpc(['mprpc', `unix:${path}`, 'sum', '2', '3'])).toEqual({
      status: EXIT.OK,
      stdout: '5\n',
      stderr: '',
    });
    expect(await rpc(['mprpc', '-v', path, 'sum', '2', '3'])).toEqual({
      status: EXIT.OK,
      stdout: '5\n',
      stderr: `rpc: connected to unix:${path}\n`,
    });
  });

  it('connects over TLS with --ca', async () => {
    const pki = await testPkiFiles();
    await using secure = await new MprpcServer<Api>({
      host: '127.0.0.1',
      port: 0,
      tls: { key: readFileSync(pki.keyFile), cert: readFileSync(pki.certFile) },
    })
      .regCb({ sum: (res, a, b) => res?.result(a + b) })
      .start();
    const port = (secure.address as { port: number }).port;
    expect(await rpc(['mprpc', '--ca', pki.caFile, `127.0.0.1:${port}`, 'sum', '2', '3'])).toEqual({
      status: EXIT.OK,
      stdout: '5\n',
      stderr: '',
    });
    const untrusted = await rpc(['mprpc', '--ca', pki.otherCaFile, `127.0.0.1:${port}`, 'sum', '2', '3']);
    expect(untrusted).toMatchObject({ status: EXIT.CONNECTION, stdout: '' });
    expect(untrusted.stderr).toMatch(/^error LOOP_TLS_FAILED: /);
  });

  it('reports a refused connection with exit 3', async () => {
    const out = await rpc(['mprpc', `unix:${socketPath('nobody.sock')}`, 'sum', '1', '2']);
    expect(out).toMatchObject({ status: EXIT.CONNECTION, stdout: '' });
    expect(out.stderr).toMatch(/^error LOOP_/);
  });
});

describe('rpc mprpc and rpc notify against neovim', () => {
  let nvim: ChildProcess;
  let at: string;

  beforeAll(async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    at = `127.0.0.1:${port}`;
    nvim = spawn('nvim', ['--headless', '--clean', '--listen', at], { stdio: 'ignore' });
    // However long nvim takes to start on a busy machine.
    await waitFor(async () => (await rpc(['mprpc', at, 'nvim_eval', '"1"'])).status === EXIT.OK, 'nvim', 30_000);
  });

  afterAll(async () => {
    if (nvim.exitCode !== null || nvim.signalCode !== null) return;
    const exited = new Promise((resolve) => nvim.once('exit', resolve));
    nvim.kill('SIGTERM');
    const stuck = setTimeout(() => nvim.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(stuck);
  });

  it('evaluates an expression, and prints the error neovim answers with, exit 1', async () => {
    expect(await rpc(['mprpc', at, 'nvim_eval', '"1+2"'])).toEqual({ status: EXIT.OK, stdout: '3\n', stderr: '' });
    expect(await rpc(['mprpc', at, 'nvim_eval', '"undefined_var"'])).toEqual({
      status: EXIT.CALL_FAILED,
      stdout: '',
      stderr: 'error RPC_REMOTE: Vim:E121: Undefined variable: undefined_var\n',
    });
  });

  it('prints buffer handles as {$ext, data} and takes them back, with -1 as an argument', async () => {
    const got = await rpc(['mprpc', '--json', at, 'nvim_get_current_buf']);
    const [buffer] = jsonLines(got.stdout) as [{ $ext: number; data: string }];
    expect(buffer).toEqual({ $ext: 0, data: expect.any(String) });
    const handle = JSON.stringify(buffer);
    const set = await rpc(['mprpc', at, 'nvim_buf_set_lines', handle, '0', '-1', 'false', '["hello", "ünï"]']);
    expect(set).toEqual({ status: EXIT.OK, stdout: 'null\n', stderr: '' });
    const lines = await rpc(['mprpc', '--json', at, 'nvim_buf_get_lines', handle, '0', '-1', 'false']);
    expect(lines).toEqual({ status: EXIT.OK, stdout: '["hello","ünï"]\n', stderr: '' });
  });

  it('sends a notification that neovim acts on', async () => {
    expect(await rpc(['notify', at, 'nvim_command', '"let g:from_cli = 42"'])).toEqual({
      status: EXIT.OK,
      stdout: '',
      stderr: '',
    });
    const read = (): Promise<string> => rpc(['mprpc', at, 'nvim_get_var', '"from_cli"']).then((out) => out.stdout);
    await waitFor(async () => (await read()) === '42\n', 'g:from_cli', 30_000);
  });

  it('reaches neovim on a Unix socket it was asked to listen on (a path, as in $NVIM)', async () => {
    const path = socketPath('nvim.sock');
    const started = await rpc(['mprpc', '--json', at, 'nvim_call_function', '"serverstart"', JSON.stringify([path])]);
    expect(started).toEqual({ status: EXIT.OK, stdout: `${JSON.stringify(path)}\n`, stderr: '' });
    expect(await rpc(['mprpc', path, 'nvim_eval', '"6*7"'])).toEqual({ status: EXIT.OK, stdout: '42\n', stderr: '' });
  });
});
