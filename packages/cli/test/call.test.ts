import * as net from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import type { Server } from '@rpc/server';
import { waitFor } from '@rpc/testkit';
import { EXIT } from '../src/index.js';
import { jsonLines, rpc, startServer } from './helpers.js';

// `rpc classes` and `rpc call` against our @rpc/server on 127.0.0.1.
let server: Server;
let at: string;

beforeAll(async () => {
  server = await startServer();
  at = `127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server.close();
});

describe('rpc classes', () => {
  it('lists every class and method, one CLASS.METHOD a line with its kind', async () => {
    const out = await rpc(['classes', at]);
    expect(out).toMatchObject({ status: EXIT.OK, stderr: '' });
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines).toContain('Clock.instance       constructor');
    expect(lines).toContain('My::Notebook.copy    object returner');
    expect(lines).toContain('My::Notebook.write   method');
    expect(lines.map((line) => line.split(' ')[0])).toEqual([
      'Clock.instance',
      'Clock.zone',
      'My::Notebook.bytes',
      'My::Notebook.copy',
      'My::Notebook.echo',
      'My::Notebook.fail',
      'My::Notebook.hang',
      'My::Notebook.name',
      'My::Notebook.new',
      'My::Notebook.pair',
      'My::Notebook.read',
      'My::Notebook.shared',
      'My::Notebook.sum',
      'My::Notebook.write',
      'Pair.empty',
      'Pair.get',
      'Pair.of',
    ]);
  });

  it('prints the method maps as one line of JSON with --json, for the classes named', async () => {
    const out = await rpc(['classes', '--json', at, 'Pair', 'Clock']);
    expect(out).toMatchObject({ status: EXIT.OK, stderr: '' });
    expect(out.stdout.split('\n')).toHaveLength(2);
    expect(jsonLines(out.stdout)).toEqual([
      { Clock: { instance: '_constructor', zone: 1 }, Pair: { empty: '_constructor', get: 1, of: '_constructor' } },
    ]);
  });

  it('refuses a class the server does not export with exit 2', async () => {
    const out = await rpc(['classes', at, 'Nope']);
    expect(out).toEqual({
      status: EXIT.USAGE,
      stdout: '',
      stderr: "error RPC_UNKNOWN_CLASS: the server exports no class 'Nope'\nRun 'rpc classes --help' for its usage.\n",
    });
  });

  it('says where it connected with --verbose, in the --format asked for', async () => {
    const out = await rpc(['classes', '-v', '--format', 'json', at, 'Clock']);
    expect(out.status).toBe(EXIT.OK);
    expect(out.stderr).toBe(`rpc: connected to ${at}: Event::RPC 1.10, format JSON, calls pipelined\n`);
    const cbor = await rpc(['classes', '-v', '--format', 'CBOR,JSON', at, 'Clock']);
    expect(cbor.stderr).toContain(', format CBOR, ');
  });
});

describe('rpc call', () => {
  it('calls a method on a new object made by `new`, and prints the result as indented JSON', async () => {
    const out = await rpc(['call', at, 'My::Notebook.echo', '1', '"two"', '[3, {"four": null}]', 'true']);
    expect(out).toEqual({
      status: EXIT.OK,
      stdout: `${JSON.stringify([1, 'two', [3, { four: null }], true], null, 2)}\n`,
      stderr: '',
    });
  });

  it('prints one compact line with --json, and takes negative numbers and -- as arguments', async () => {
    const out = await rpc(['call', '--json', at, 'My::Notebook.sum', '-1', '-2.5', '10']);
    expect(out).toEqual({ status: EXIT.OK, stdout: '6.5\n', stderr: '' });
    const dashes = await rpc(['call', '--json', at, 'My::Notebook.echo', '--', '-3', '"--json"']);
    expect(dashes).toEqual({ status: EXIT.OK, stdout: '[-3,"--json"]\n', stderr: '' });
  });

  it('makes the object with --new, and calls a constructor or a singleton directly', async () => {
    const named = await rpc(['call', '--json', '--new', 'new "diary"', at, 'My::Notebook.name']);
    expect(named.stdout).toBe('"diary"\n');
    const shared = await rpc(['call', '--json', '-n', 'shared', at, 'My::Notebook.name']);
    expect(shared.stdout).toBe('"shared"\n');
    const made = await rpc(['call', '--json', at, 'My::Notebook.new', '"x"']);
    expect(made.status).toBe(EXIT.OK);
    expect(jsonLines(made.stdout)).toEqual([{ $class: 'My::Notebook', $oid: expect.any(String) }]);
    // The only constructor is used without --new; several need it.
    expect((await rpc(['call', '--json', at, 'Clock.zone'])).stdout).toBe('"UTC"\n');
    expect((await rpc(['call', '--json', '--new', 'of {"a":1}', at, 'Pair.get'])).stdout).toBe('{"a":1}\n');
    const ambiguous = await rpc(['call', at, 'Pair.get']);
    expect(ambiguous.status).toBe(EXIT.USAGE);
    expect(ambiguous.stderr).toMatch(/^error CLI_USAGE: Pair has several constructors \(of, empty\): choose one with/);
  });

  it('prints returned objects as {$class, $oid}, bytes as {$bytes}, and every value with --list', async () => {
    const copy = await rpc(['call', '--json', at, 'My::Notebook.copy', '"c"']);
    expect(jsonLines(copy.stdout)).toEqual([{ $class: 'My::Notebook', $oid: expect.stringMatching(/./) }]);
    expect((await rpc(['call', '--json', at, 'My::Notebook.bytes'])).stdout).toBe('{"$bytes":"AAH+/w=="}\n');
    expect((await rpc(['call', '--json', at, 'My::Notebook.pair'])).stdout).toBe('["untitled",0]\n');
    expect((await rpc(['call', '--json', '--list', at, 'My::Notebook.name'])).stdout).toBe('["untitled"]\n');
    expect((await rpc(['call', '--json', at, 'My::Notebook.echo'])).stdout).toBe('[]\n');
  });

  it('prints the server error as `error RPC_REMOTE: message` with exit 1', async () => {
    const out = await rpc(['call', at, 'My::Notebook.fail', '"out of ink"']);
    expect(out.status).toBe(EXIT.CALL_FAILED);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/^error RPC_REMOTE: .*out of ink.*\n$/);
  });

  it('refuses unknown classes, methods and constructors with exit 2', async () => {
    const cls = await rpc(['call', at, 'Nope.x']);
    expect(cls).toMatchObject({ status: EXIT.USAGE, stdout: '' });
    expect(cls.stderr).toMatch(/^error RPC_UNKNOWN_CLASS: the server exports no class 'Nope'\n/);
    const method = await rpc(['call', at, 'My::Notebook.burn']);
    expect(method.stderr).toMatch(/^error RPC_UNKNOWN_METHOD: My::Notebook exports no method 'burn'\n/);
    expect(method.status).toBe(EXIT.USAGE);
    const ctor = await rpc(['call', '--new', 'make', at, 'My::Notebook.name']);
    expect(ctor.stderr).toMatch(/^error RPC_UNKNOWN_METHOD: My::Notebook exports no constructor 'make'\n/);
  });

  it('gives up a call after --timeout with RPC_DEADLINE and exit 1', async () => {
    const out = await rpc(['call', '--timeout', '0.5', at, 'My::Notebook.hang']);
    expect(out.status).toBe(EXIT.CALL_FAILED);
    expect(out.stderr).toMatch(/^error RPC_DEADLINE: /);
  });

  it('reports a refused connection with exit 3', async () => {
    const closed = await startServer();
    const port = closed.port;
    await closed.close();
    const out = await rpc(['call', `127.0.0.1:${port}`, 'My::Notebook.name']);
    expect(out).toMatchObject({ status: EXIT.CONNECTION, stdout: '' });
    expect(out.stderr).toMatch(/^error LOOP_CONNECTION_REFUSED: /);
  });

  it('gives up connecting to a server that says nothing after --timeout, exit 3', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const out = await rpc(['classes', '--timeout', '0.5', `127.0.0.1:${port}`]);
      expect(out).toEqual({
        status: EXIT.CONNECTION,
        stdout: '',
        stderr: `error LOOP_CONNECT_TIMEOUT: no connection to 127.0.0.1:${port} within 0.5 s\n`,
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('ends with exit 130 and no message when interrupted', async () => {
    const interrupt = new AbortController();
    const running = rpc(['call', at, 'My::Notebook.hang'], { signal: interrupt.signal });
    await waitFor(() => server.stats().callsInFlight === 1, 'the call to hang', 30_000);
    interrupt.abort();
    expect(await running).toEqual({ status: EXIT.INTERRUPTED, stdout: '', stderr: '' });
  });
});

describe('rpc call --object', () => {
  it('makes one object and sends it the --call calls in order, one result each', async () => {
    const out = await rpc([
      'call',
      '--json',
      '--new',
      'new "diary"',
      at,
      'My::Notebook',
      '--call',
      'write "a line"',
      '-c',
      'write "two" "three"',
      '--call',
      'read',
      '--call',
      'name',
    ]);
    expect(out).toMatchObject({ status: EXIT.OK, stderr: '' });
    expect(jsonLines(out.stdout)).toEqual([1, 3, ['a line', 'two', 'three'], 'diary']);
  });

  it('reads the calls from stdin, skipping empty lines and comments, with JSON values holding spaces', async () => {
    const stdin = ['# a session', 'write "a b" "c"', '', '  echo [1, 2] {"k": "v w"} -3', 'read', 'sum 1 2'].join('\n');
    const out = await rpc(['call', '--object', '--json', at, 'My::Notebook'], { stdin });
    expect(out).toMatchObject({ status: EXIT.OK, stderr: '' });
    expect(jsonLines(out.stdout)).toEqual([2, [[1, 2], { k: 'v w' }, -3], ['a b', 'c'], 3]);
  });

  it('ends with exit 130 when interrupted while it waits for the next line', async () => {
    const stdin = new PassThrough();
    const interrupt = new AbortController();
    let seen = '';
    const running = rpc(['call', '-o', '--json', at, 'My::Notebook'], {
      stdin,
      signal: interrupt.signal,
      onStdout: (stdout) => (seen = stdout),
    });
    stdin.write('write "typed"\n');
    await waitFor(() => seen === '1\n', 'the first answer', 30_000);
    interrupt.abort(); // stdin stays open, as a terminal does
    expect(await running).toEqual({ status: EXIT.INTERRUPTED, stdout: '1\n', stderr: '' });
    stdin.destroy();
  });

  it('stops at the first call that fails, after printing the ones before it', async () => {
    const stdin = Readable.from(['write "x"\nfail "stop here"\nwrite "never"\n']);
    const out = await rpc(['call', '-o', '--json', at, 'My::Notebook'], { stdin });
    expect(out.status).toBe(EXIT.CALL_FAILED);
    expect(out.stdout).toBe('1\n');
    expect(out.stderr).toMatch(/^error RPC_REMOTE: .*stop here/);
    const bad = await rpc(['call', '-o', '--json', at, 'My::Notebook'], { stdin: 'write "x"\nwrite y\n' });
    expect(bad).toMatchObject({ status: EXIT.USAGE, stdout: '1\n' });
    expect(bad.stderr).toMatch(/^error CLI_BAD_JSON: line 2, argument 1 is not JSON: y/);
  });
});
