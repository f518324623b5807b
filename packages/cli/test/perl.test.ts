import { crypt } from '@rpc/auth';
import { testPkiFiles } from '@rpc/testkit';
import { startPerlServer } from '../../tests/src/perl-peer.js';
import { EXIT } from '../src/index.js';
import { jsonLines, rpc } from './helpers.js';

// `rpc classes` and `rpc call` against the real Perl Event::RPC::Server 1.10 (libevent-rpc-perl, installed by
// scripts/setup-peers.sh) of packages/tests/perl/rpc/server.pl, in each format it speaks, with TLS and a login.

describe.each(['JSON', 'CBOR', 'SERL'])('rpc against the Perl Event::RPC server in %s', (format) => {
  let at: string;
  let perl: Awaited<ReturnType<typeof startPerlServer>>;

  beforeAll(async () => {
    perl = await startPerlServer(['--formats', format]);
    at = `127.0.0.1:${perl.port}`;
  });

  afterAll(async () => {
    await perl?.close();
  });

  it('lists its classes (singletons are announced as constructors)', async () => {
    const out = await rpc(['classes', '-v', at]);
    expect(out.status).toBe(EXIT.OK);
    expect(out.stderr).toBe(`rpc: connected to ${at}: Event::RPC 1.10, format ${format}, one call at a time\n`);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'Event_RPC_Test.clone                object returner',
        'Event_RPC_Test.get_data             method',
        'Event_RPC_Test.new                  constructor',
        'Event_RPC_Test.singleton            constructor',
        'Event_RPC_Test2.get_object_copy     object returner',
      ]),
    );
    expect(lines).toHaveLength(22);
    const json = await rpc(['classes', '--json', at, 'Event_RPC_Test2']);
    expect(jsonLines(json.stdout)).toEqual([
      { Event_RPC_Test2: { get_data: 1, get_object_copy: '_object', new: '_constructor', set_data: 1 } },
    ]);
  });

  it('calls methods on objects made by --new, and a singleton', async () => {
    const hello = await rpc(['call', '--json', '--new', 'new "data" "wire"', at, 'Event_RPC_Test.hello']);
    expect(hello).toEqual({ status: EXIT.OK, stdout: '"Hello, wire"\n', stderr: '' });
    const singleton = await rpc(['call', '--json', '-n', 'singleton', at, 'Event_RPC_Test.get_data']);
    expect(singleton.stdout).toBe('"singleton"\n');
    const echo = await rpc(['call', '--json', at, 'Event_RPC_Test.echo', '"Grüße"', '-42', '[1, {"a": "b"}]']);
    expect(echo.stdout).toBe('["Grüße",-42,[1,{"a":"b"}]]\n');
    // One value alone is itself; --list gives Perl's list as it came.
    expect((await rpc(['call', '--json', at, 'Event_RPC_Test.echo', '[1, 2]'])).stdout).toBe('[1,2]\n');
    expect((await rpc(['call', '--json', '-l', at, 'Event_RPC_Test.echo', '[1, 2]'])).stdout).toBe('[[1,2]]\n');
    const made = await rpc(['call', '--json', at, 'Event_RPC_Test.new', '"data"', '"x"']);
    expect(jsonLines(made.stdout)).toEqual([
      { $class: 'Event_RPC_Test', $oid: expect.stringMatching(/^Event_RPC_Test=HASH\(0x[0-9a-f]+\)$/) },
    ]);
  });

  it('keeps one object for a session from stdin, objects printed as {$class, $oid}', async () => {
    const stdin = 'set_data "Grüße 你好"\nhello\nnew_object2 "two"\nget_data\n';
    const out = await rpc(['call', '--json', '--object', at, 'Event_RPC_Test'], { stdin });
    expect(out).toMatchObject({ status: EXIT.OK, stderr: '' });
    expect(jsonLines(out.stdout)).toEqual([
      'Grüße 你好',
      'Hello, Grüße 你好',
      { $class: 'Event_RPC_Test2', $oid: expect.stringMatching(/^Event_RPC_Test2=HASH/) },
      'Grüße 你好',
    ]);
  });

  it("prints Perl's die as `error RPC_REMOTE: ...` with exit 1", async () => {
    const out = await rpc(['call', at, 'Event_RPC_Test.die_with', '"no ink"']);
    expect(out.status).toBe(EXIT.CALL_FAILED);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/^error RPC_REMOTE: no ink/);
    const unknown = await rpc(['call', at, 'Event_RPC_Test.nope']);
    expect(unknown.status).toBe(EXIT.USAGE);
    expect(unknown.stderr).toMatch(/^error RPC_UNKNOWN_METHOD: Event_RPC_Test exports no method 'nope'\n/);
  });
});

describe('rpc against the Perl Event::RPC server with TLS and a login', () => {
  it('verifies it with --ca, logs in, and exits 4 on a wrong password', async () => {
    const pki = await testPkiFiles();
    await using perl = await startPerlServer([
      '--ssl-key',
      pki.keyFile,
      '--ssl-cert',
      pki.certFile,
      '--auth',
      `fred:${crypt('fred', 's3cret')}`,
    ]);
    const at = `127.0.0.1:${perl.port}`;
    const ok = await rpc(['call', '--json', '-v', '--ca', pki.caFile, '-u', 'fred', at, 'Event_RPC_Test.hello'], {
      stdin: 's3cret\n',
    });
    expect(ok).toMatchObject({ status: EXIT.OK, stdout: '"Hello, "\n' });
    expect(ok.stderr).toMatch(
      new RegExp(`^rpc: connected to ${at} over TLS: Event::RPC 1.10, .*, logged in as fred\n$`),
    );
    const refused = await rpc([
      'call',
      '--ca',
      pki.caFile,
      '-u',
      'fred',
      '--password',
      'no',
      at,
      'Event_RPC_Test.hello',
    ]);
    expect(refused).toMatchObject({ status: EXIT.AUTH, stdout: '' });
    expect(refused.stderr).toMatch(/^error AUTH_FAILED: /);
  });
});
