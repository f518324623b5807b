import { crypt } from '@rpc/auth';
import { testPkiFiles, waitFor } from '@rpc/testkit';
import { EXIT } from '../src/index.js';
import { rpc, startServer } from './helpers.js';

// `rpc log` against our server's log listener (the server's port + 1): plain, and behind TLS and a login.
const LINE = /^\d{4}-\d\d-\d\dT[\d:.]+Z \[\d\] /;

describe('rpc log', () => {
  it('prints the log lines until the server closes, then exits 0', async () => {
    const server = await startServer({ startLogListener: true });
    try {
      const tail = rpc(['log', '-v', `127.0.0.1:${server.port + 1}`]);
      await waitFor(() => server.logClientsConnected === 1, 'the log client', 30_000);
      server.log(1, 'first line');
      server.log(1, 'second line: ünïcode');
      await server.close();
      const out = await tail;
      expect(out.status).toBe(EXIT.OK);
      expect(out.stderr).toBe(`rpc: connected to the log listener at 127.0.0.1:${server.port + 1}\n`);
      const lines = out.stdout.trimEnd().split('\n');
      for (const line of lines) expect(line).toMatch(LINE);
      expect(lines.map((line) => line.replace(LINE, ''))).toEqual(
        expect.arrayContaining(['first line', 'second line: ünïcode']),
      );
    } finally {
      await server.close();
    }
  });

  it('prints each line as a JSON string with --json, and ends with exit 130 when interrupted', async () => {
    const server = await startServer({ startLogListener: true });
    try {
      const interrupt = new AbortController();
      let seen = '';
      const tail = rpc(['log', '--json', `127.0.0.1:${server.port + 1}`], {
        signal: interrupt.signal,
        onStdout: (stdout) => (seen = stdout),
      });
      await waitFor(() => server.logClientsConnected === 1, 'the log client', 30_000);
      server.log(1, 'a "quoted" line');
      await waitFor(() => seen.includes('quoted'), 'the line', 30_000);
      interrupt.abort();
      const out = await tail;
      expect(out.status).toBe(EXIT.INTERRUPTED);
      expect(out.stderr).toBe('');
      const lines = out.stdout.trimEnd().split('\n');
      for (const line of lines) expect(JSON.parse(line)).toMatch(LINE);
      expect(lines.at(-1)).toMatch(/ \[1\] a \\"quoted\\" line"$/);
    } finally {
      await server.close();
    }
  });

  it('logs in over TLS with AUTH, reading the password from stdin, and exits 4 when refused', async () => {
    const pki = await testPkiFiles();
    const server = await startServer({
      startLogListener: true,
      ssl: true,
      sslKeyFile: pki.keyFile,
      sslCertFile: pki.certFile,
      logListenerSsl: true,
      authRequired: true,
      authPasswdHref: { fred: crypt('fred', 's3cret') },
      logListenerAuth: true,
    });
    const at = `127.0.0.1:${server.port + 1}`;
    try {
      const refused = await rpc(['log', '--ca', pki.caFile, '-u', 'fred', '--password', 'wrong', at]);
      expect(refused).toEqual({
        status: EXIT.AUTH,
        stdout: '',
        stderr: 'error AUTH_FAILED: Illegal credentials (log listener, user fred)\n',
      });
      const untrusted = await rpc(['log', '--ca', pki.otherCaFile, '-u', 'fred', '--password', 's3cret', at]);
      expect(untrusted.status).toBe(EXIT.CONNECTION);
      expect(untrusted.stderr).toMatch(/^error LOOP_TLS_FAILED: /);

      const tail = rpc(['log', '--ca', pki.caFile, '-u', 'fred', at], { stdin: 's3cret\n' });
      await waitFor(() => server.logClientsConnected === 1, 'the log client', 30_000);
      server.log(1, 'for fred');
      await server.close();
      const out = await tail;
      expect(out).toMatchObject({ status: EXIT.OK, stderr: '' });
      expect(out.stdout).not.toContain('OK\n'); // the listener's answer to the login is not a log line
      expect(out.stdout.split('\n').map((line) => line.replace(LINE, ''))).toContain('for fred');
    } finally {
      await server.close();
    }
  });
});
