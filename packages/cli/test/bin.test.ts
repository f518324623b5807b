import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { crypt } from '@rpc/auth';
import { waitFor } from '@rpc/testkit';
import { EXIT } from '../src/index.js';
import { startServer } from './helpers.js';

// The built `rpc` (dist/bin.js, what npm links as the bin) in a process of its own: real exit statuses, stdout and
// stderr, stdin piped in, and SIGINT. Needs `pnpm build` (pnpm test:all builds first).
const bin = join(__dirname, '..', 'dist', 'bin.js');

interface Exited {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the bin with `args`, writing `stdin` to it; `whileRunning` gets its stdout so far and its pid. */
function runBin(
  args: string[],
  stdin = '',
  whileRunning?: (pid: number, stdout: () => string) => void,
): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'], timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
    child.stdin.end(stdin);
    if (whileRunning !== undefined && child.pid !== undefined) whileRunning(child.pid, () => stdout);
  });
}

beforeAll(() => {
  if (!existsSync(bin)) throw new Error('packages/cli is not built: run `pnpm build` first');
});

it('the built rpc exits with the documented statuses, reads stdin and ends on SIGINT', async () => {
  const server = await startServer({
    startLogListener: true,
    authRequired: true,
    authPasswdHref: { fred: crypt('fred', 's3cret') },
  });
  try {
    const at = `127.0.0.1:${server.port}`;
    const login = ['-u', 'fred', '--password', 's3cret'];
    expect(await runBin(['call', '--json', ...login, at, 'My::Notebook.sum', '1', '-2', '4'])).toEqual({
      status: EXIT.OK,
      signal: null,
      stdout: '3\n',
      stderr: '',
    });
    const failed = await runBin(['call', ...login, at, 'My::Notebook.fail', '"out of ink"']);
    expect(failed).toMatchObject({ status: EXIT.CALL_FAILED, stdout: '' });
    expect(failed.stderr).toMatch(/^error RPC_REMOTE: .*out of ink/);
    expect(await runBin(['call', at, 'My::Notebook.sum', 'x'])).toMatchObject({ status: EXIT.USAGE, stdout: '' });
    const refused = await runBin(['call', '-u', 'fred', '--password', 'wrong', at, 'My::Notebook.sum']);
    expect(refused).toMatchObject({ status: EXIT.AUTH, stderr: 'error AUTH_FAILED: Illegal credentials\n' });
    // The password, then the session's calls, from piped stdin.
    expect(
      await runBin(['call', '--json', '-o', '-u', 'fred', at, 'My::Notebook'], 's3cret\nwrite "a"\nread\n'),
    ).toEqual({
      status: EXIT.OK,
      signal: null,
      stdout: '1\n["a"]\n',
      stderr: '',
    });
    const version = await runBin(['--version']);
    expect(version.stdout).toMatch(/^rpc \(@rpc\/cli\) \d+\.\d+\.\d+/);

    // rpc log runs until Ctrl-C: exit 130.
    const log = await runBin(['log', ...login, `127.0.0.1:${server.port + 1}`], '', (pid, stdout) => {
      void (async () => {
        await waitFor(() => server.logClientsConnected === 1, 'the log client', 30_000);
        server.log(1, 'to the bin');
        await waitFor(() => stdout().includes('to the bin'), 'the log line', 30_000);
        process.kill(pid, 'SIGINT');
      })().catch(() => process.kill(pid, 'SIGKILL')); // the assertions below then say what went wrong
    });
    expect(log).toMatchObject({ status: EXIT.INTERRUPTED, signal: null, stderr: '' });
    expect(log.stdout).toMatch(/ \[1\] to the bin\n/);
  } finally {
    await server.close();
  }
});
