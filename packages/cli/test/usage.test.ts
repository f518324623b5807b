import { EXIT } from '../src/index.js';
import { rpc } from './helpers.js';

// What needs no server: help, usage errors, and arguments checked before connecting (port 9 is never dialled).
describe('rpc without a server', () => {
  it.each(['classes', 'call', 'mprpc', 'notify', 'log'])('prints the help of %s on stdout with --help', async (cmd) => {
    const out = await rpc([cmd, '--help']);
    expect(out).toMatchObject({ status: EXIT.OK, stderr: '' });
    expect(out.stdout).toMatch(new RegExp(`^Usage: rpc ${cmd} \\[OPTIONS\\]`));
    expect(out.stdout).toContain('-h, --help');
    expect(await rpc(['help', cmd])).toEqual(out);
    expect(await rpc([cmd, '-h'])).toEqual(out);
  });

  it('prints the overview with --help and help, and to stderr with exit 2 when no command is given', async () => {
    const help = await rpc(['--help']);
    expect(help.status).toBe(EXIT.OK);
    expect(help.stdout).toContain('Usage: rpc COMMAND');
    for (const cmd of ['classes', 'call', 'mprpc', 'notify', 'log']) expect(help.stdout).toContain(`  ${cmd} `);
    expect(await rpc(['help'])).toEqual(help);
    expect(await rpc([])).toEqual({ status: EXIT.USAGE, stdout: '', stderr: help.stdout });
    expect(await rpc(['--version'])).toEqual({ status: EXIT.OK, stdout: 'rpc (@rpc/cli) 9.9.9\n', stderr: '' });
  });

  it.each([
    [['frobnicate'], "error CLI_USAGE: unknown command 'frobnicate'"],
    [['call', '--nope', 'h:1', 'A.b'], "error CLI_USAGE: Unknown option '--nope'"],
    [['call', '127.0.0.1:9'], 'error CLI_USAGE: missing arguments: expected HOST:PORT CLASS.METHOD [ARG...]'],
    [['call', '127.0.0.1:9', 'Notebook'], "error CLI_USAGE: 'Notebook' names no method: write CLASS.METHOD"],
    [
      ['call', '127.0.0.1:9', 'A.b', '1', 'hello'],
      `error CLI_BAD_JSON: argument 2 is not JSON: hello (a string is written in double quotes: '"hello"')`,
    ],
    [['call', '127.0.0.1:9', 'A.b', '[1,'], 'error CLI_BAD_JSON: argument 1 is not JSON: [1, ('],
    [['call', '--object', '127.0.0.1:9', 'A.b'], "error CLI_USAGE: with --object, name the class only (not 'A.b')"],
    [['call', '--object', '127.0.0.1:9', 'A', '1'], "error CLI_USAGE: unexpected argument '1'"],
    [
      ['call', '--call', 'write nope', '127.0.0.1:9', 'A'],
      'error CLI_BAD_JSON: --call 1, argument 1 is not JSON: nope',
    ],
    [['call', '--new', 'new x', '127.0.0.1:9', 'A.b'], 'error CLI_BAD_JSON: --new, argument 1 is not JSON: x'],
    [
      ['call', '127.0.0.1:9', 'A.b', '--timeout', '0'],
      "error CLI_USAGE: --timeout takes a positive number of seconds, not '0'",
    ],
    [['call', '127.0.0.1:9', 'A.b', '--format', 'STOR'], "error CLI_USAGE: unknown --format 'STOR'"],
    [['call', '127.0.0.1:9', 'A.b', '--password', 'x'], 'error CLI_USAGE: --password needs --user'],
    [['call', '/tmp/x.sock', 'A.b'], "error CLI_BAD_ADDRESS: '/tmp/x.sock' is a Unix socket"],
    [['classes', 'localhost'], "error CLI_BAD_ADDRESS: 'localhost' is not HOST:PORT"],
    [['classes', '::1:80'], "error CLI_BAD_ADDRESS: '::1:80' is not HOST:PORT (an IPv6 address goes in brackets"],
    [['classes', 'h:70000'], "error CLI_BAD_ADDRESS: 'h:70000': the port must be from 1 to 65535"],
    [
      ['classes', '127.0.0.1:9', '--ca', '/nonexistent/ca.pem'],
      'error CLI_USAGE: cannot read --ca /nonexistent/ca.pem',
    ],
    [['log', '127.0.0.1:9', 'extra'], "error CLI_USAGE: unexpected argument 'extra': expected HOST:PORT"],
    [['mprpc', '127.0.0.1:9'], 'error CLI_USAGE: missing arguments: expected ADDRESS METHOD [ARG...]'],
  ])('refuses %j with exit 2: %s', async (argv, message) => {
    const out = await rpc(argv);
    expect(out.status).toBe(EXIT.USAGE);
    expect(out.stdout).toBe('');
    expect(out.stderr.startsWith(message)).toBe(true);
  });

  it('says which command help to read after a usage error', async () => {
    expect((await rpc(['call', '127.0.0.1:9'])).stderr).toContain("Run 'rpc call --help' for its usage.\n");
  });

  it('asks for a password on stdin when --user is given without one, and refuses an empty stdin', async () => {
    const out = await rpc(['classes', '-u', 'fred', '127.0.0.1:9'], { stdin: '' });
    expect(out).toMatchObject({ status: EXIT.USAGE, stdout: '' });
    expect(out.stderr).toMatch(/^error CLI_NO_PASSWORD: a password for fred is needed and stdin is empty\n/);
  });
});
