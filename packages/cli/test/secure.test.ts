import { crypt } from '@rpc/auth';
import type { Server } from '@rpc/server';
import { testPkiFiles, type TestPkiFiles } from '@rpc/testkit';
import { EXIT } from '../src/index.js';
import { jsonLines, rpc, startServer } from './helpers.js';

// TLS (--tls, --ca, --ca-path, --insecure) and logins (--user with --password, RPC_PASSWORD or stdin) against our
// @rpc/server.
let pki: TestPkiFiles;
let tls: Server;
let login: Server;

beforeAll(async () => {
  pki = await testPkiFiles();
  tls = await startServer({ ssl: true, sslKeyFile: pki.keyFile, sslCertFile: pki.certFile });
  login = await startServer({ authRequired: true, authPasswdHref: { fred: crypt('fred', 's3cret') } });
});

afterAll(async () => {
  await Promise.all([tls?.close(), login?.close()]);
});

describe('rpc over TLS', () => {
  it('verifies the server against --ca or --ca-path', async () => {
    const at = `127.0.0.1:${tls.port}`;
    const out = await rpc(['call', '-v', '--json', '--ca', pki.caFile, at, 'Clock.zone']);
    expect(out).toMatchObject({ status: EXIT.OK, stdout: '"UTC"\n' });
    expect(out.stderr).toMatch(new RegExp(`^rpc: connected to ${at} over TLS: Event::RPC`));
    const byDir = await rpc(['classes', '--json', '--tls', '--ca-path', pki.caDir, `localhost:${tls.port}`, 'Clock']);
    expect(byDir).toMatchObject({ status: EXIT.OK, stderr: '' });
    expect(jsonLines(byDir.stdout)).toEqual([{ Clock: { instance: '_constructor', zone: 1 } }]);
  });

  it('refuses a server its CAs did not sign with exit 3, and with --insecure connects unverified', async () => {
    const at = `127.0.0.1:${tls.port}`;
    const other = await rpc(['call', '--ca', pki.otherCaFile, at, 'Clock.zone']);
    expect(other).toMatchObject({ status: EXIT.CONNECTION, stdout: '' });
    expect(other.stderr).toMatch(/^error LOOP_TLS_FAILED: /);
    const system = await rpc(['call', '--tls', at, 'Clock.zone']);
    expect(system).toMatchObject({ status: EXIT.CONNECTION, stdout: '' });
    expect(system.stderr).toMatch(/^error LOOP_TLS_FAILED: /);
    const insecure = await rpc(['call', '--json', '-k', at, 'Clock.zone']);
    expect(insecure).toMatchObject({ status: EXIT.OK, stdout: '"UTC"\n' });
    expect(insecure.stderr).toMatch(/^rpc: WARNING: TLS verification is off/);
  });
});

describe('rpc with a login', () => {
  const at = (): string => `127.0.0.1:${login.port}`;

  it('logs in with --user and --password, or RPC_PASSWORD', async () => {
    const out = await rpc(['call', '--json', '-v', '-u', 'fred', '--password', 's3cret', at(), 'Clock.zone']);
    expect(out).toMatchObject({ status: EXIT.OK, stdout: '"UTC"\n' });
    expect(out.stderr).toMatch(/, logged in as fred\n$/);
    const env = await rpc(['call', '--json', '--user', 'fred', at(), 'Clock.zone'], {
      env: { RPC_PASSWORD: 's3cret' },
    });
    expect(env).toEqual({ status: EXIT.OK, stdout: '"UTC"\n', stderr: '' });
  });

  it("reads the password from stdin's first line when it is no terminal, then a session's calls", async () => {
    const once = await rpc(['classes', '--json', '-u', 'fred', at(), 'Clock'], { stdin: 's3cret\n' });
    expect(once).toMatchObject({ status: EXIT.OK, stderr: '' });
    const session = await rpc(['call', '--json', '-o', '-u', 'fred', at(), 'My::Notebook'], {
      stdin: 's3cret\nwrite "a"\nread\n',
    });
    expect(session).toEqual({ status: EXIT.OK, stdout: '1\n["a"]\n', stderr: '' });
    const bad = await rpc(['call', '--json', '-o', '-u', 'fred', at(), 'My::Notebook'], {
      stdin: 's3cret\nread\nread x\n',
    });
    expect(bad).toMatchObject({ status: EXIT.USAGE, stdout: '[]\n' });
    expect(bad.stderr).toMatch(/^error CLI_BAD_JSON: line 3, argument 1 is not JSON: x /);
  });

  it('exits 4 when the login is refused', async () => {
    const out = await rpc(['call', '-u', 'fred', '--password', 'wrong', at(), 'Clock.zone']);
    expect(out).toEqual({ status: EXIT.AUTH, stdout: '', stderr: 'error AUTH_FAILED: Illegal credentials\n' });
  });
});
