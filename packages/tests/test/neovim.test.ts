import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { MprpcClient, MprpcServer, MsgpackExtension, RemoteError } from '@rpc/mprpc';
import { tempDir } from '@rpc/testkit';

// neovim (Debian package, installed by scripts/setup-peers.sh) as the real MessagePack-RPC peer, both ways.
const fixtures = join(__dirname, '..', 'fixtures', 'nvim');

/** What client.vim calls on our server. */
interface Served {
  sum(a: number, b: number): number;
  echo(...params: unknown[]): unknown[];
  later(ms: number, value: string): string;
  fail(): never;
  failpair(): never;
  note(...params: unknown[]): void;
  notes(): unknown[][];
}

/** The part of neovim's API these tests call (`nvim --api-info` lists it all). */
interface Nvim {
  nvim_eval(expr: string): unknown;
  nvim_command(command: string): void;
  nvim_exec_lua(code: string, args: unknown[]): unknown;
  nvim_get_api_info(): [
    channel: number,
    info: { version: { api_level: number }; functions: unknown[]; types: Record<string, { id: number }> },
  ];
  nvim_get_current_buf(): MsgpackExtension;
  nvim_buf_set_lines(buffer: MsgpackExtension, start: number, end: number, strict: boolean, lines: string[]): void;
  nvim_buf_get_lines(buffer: MsgpackExtension, start: number, end: number, strict: boolean): string[];
}

function run(command: string, args: string[], env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: 'ignore', timeout: 30_000 });
    child.on('error', reject);
    child.on('exit', resolve);
  });
}

describe('neovim calling our MessagePack-RPC server', () => {
  it('gets results, errors and notifications through sockconnect, rpcrequest and rpcnotify', async () => {
    const notes: unknown[][] = [];
    await using server = await new MprpcServer<Served>({ port: 0, host: '127.0.0.1' })
      .regCb({
        sum: (res, a, b) => res?.result(a + b),
        echo: (res, ...params) => res?.result(params),
        later: (res, ms, value) => void setTimeout(() => res?.result(value), ms), // answered after the handler returned
        fail: (res) => res?.error('it failed'),
        failpair: (res) => res?.error([1, 'a [type, message] error']),
        note: (res, ...params) => void notes.push([res === undefined ? 'notification' : 'request', ...params]),
        notes: (res) => res?.result(notes),
      })
      .start();
    const address = server.address as { host: string; port: number };
    using dir = tempDir('rpc-nvim-');
    const out = join(dir.path, 'out.json');
    const code = await run('nvim', ['--headless', '--clean', '-S', join(fixtures, 'client.vim')], {
      RPC_ADDRESS: `127.0.0.1:${address.port}`,
      RPC_OUT: out,
    });
    expect(code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({
      sum: 3,
      echo: ['ünï', [1, { a: null }], 1.5, true],
      later: ['slow', 'fast'],
      fail: "Vim(call):Error invoking 'fail' on channel 3:\nit failed",
      failpair: "Vim(call):Error invoking 'failpair' on channel 3:\na [type, message] error",
      nope: "Vim(call):Error invoking 'nope' on channel 3:\nMethod not found: nope",
      notes: [['notification', 'from nvim', 2]],
    });
  });
});

describe('our MessagePack-RPC client calling neovim', () => {
  let nvim: ChildProcess;
  let client: MprpcClient<Nvim>;

  beforeAll(async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    nvim = spawn('nvim', ['--headless', '--clean', '--listen', `127.0.0.1:${port}`], { stdio: 'ignore' });
    client = new MprpcClient<Nvim>({ port });
    const deadline = Date.now() + 30_000; // however long nvim takes to start on a busy machine
    for (;;) {
      try {
        await client.connect();
        break;
      } catch (error) {
        if (Date.now() > deadline || nvim.exitCode !== null) throw error;
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  });

  afterAll(async () => {
    if (nvim !== undefined && nvim.exitCode === null && nvim.signalCode === null) {
      const exited = new Promise((r) => nvim.once('exit', r));
      try {
        client.notify('nvim_command', 'qa!');
      } catch {
        nvim.kill();
      }
      const stuck = setTimeout(() => nvim.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(stuck);
    }
    await client?.close();
  });

  it('evaluates expressions and reads the API description', async () => {
    expect(await client.call('nvim_eval', '1+2')).toBe(3);
    const [channel, info] = await client.call('nvim_get_api_info');
    expect(channel).toBeGreaterThan(0);
    expect(info.version.api_level).toBeGreaterThanOrEqual(9);
    expect(info.functions.length).toBeGreaterThan(100);
    expect(info.types).toMatchObject({ Buffer: { id: 0 }, Window: { id: 1 }, Tabpage: { id: 2 } });
  });

  it("gets neovim's errors as RemoteError with the [type, message] it sent", async () => {
    const error = await client.call('nvim_eval', 'undefined_var').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({
      code: 'RPC_REMOTE',
      message: 'Vim:E121: Undefined variable: undefined_var',
      data: [0, 'Vim:E121: Undefined variable: undefined_var'],
    });
    await expect(client.call('no_such_method' as 'nvim_eval', '')).rejects.toMatchObject({
      message: 'Invalid method: no_such_method',
      data: [0, 'Invalid method: no_such_method'],
    });
  });

  it('keeps buffer handles (extension 0) and hands them back', async () => {
    const buffer = await client.call('nvim_get_current_buf');
    expect(buffer).toBeInstanceOf(MsgpackExtension);
    expect(buffer).toMatchObject({ type: 0 });
    await client.call('nvim_buf_set_lines', buffer, 0, -1, false, ['hello', 'ünï']);
    expect(await client.call('nvim_buf_get_lines', buffer, 0, -1, false)).toEqual(['hello', 'ünï']);
  });

  it('gives up on a call past its deadline, and keeps the connection', async () => {
    // Blocks nvim's main loop (unlike :sleep, which serves RPC meanwhile) far longer than the deadline.
    client.notify('nvim_exec_lua', 'vim.loop.sleep(1500)', []);
    await expect(client.callWith({ deadlineMs: 50 }, 'nvim_eval', '1')).rejects.toMatchObject({
      name: 'CancelError',
      code: 'RPC_DEADLINE',
    });
    expect(await client.call('nvim_eval', '2')).toBe(2); // the late answer to the first was dropped
  });

  it('has many calls in flight, answered by msgid', async () => {
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => client.call('nvim_eval', `${i} * 2`)));
    expect(results).toEqual(Array.from({ length: 100 }, (_, i) => i * 2));
  });
});
