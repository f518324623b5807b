import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { MsgServer } from '@rpc/msg';
import { waitFor } from '@rpc/testkit';

const text = new TextDecoder();
const fixtures = join(__dirname, '..', 'fixtures');

// A child process watches its real stdin beside a Msg connection: with the Node loop's watch
// (stdin-relay.mjs), and as the Msg chapter's keyboard example, with setEventHandler on stdin and
// stdout driven by eventLoop (msg-event-loop-relay.mjs, which prints the events it counted).
describe.each([
  ['loop.watch', 'stdin-relay.mjs', ''],
  ['setEventHandler and eventLoop', 'msg-event-loop-relay.mjs', 'events: 8\n'], // two reads, two messages, two writes, the end of input, the close
])('watching stdin beside a connection with %s', (_how, fixture, tail) => {
  it('relays typed input to the server and prints its answers, then leaves at end of input', async () => {
    const heard: string[] = [];
    let closed = false;
    await using server = await new MsgServer({
      host: '127.0.0.1',
      port: 0,
      login: () => (conn, msg) => {
        if (msg === undefined) {
          closed = true;
          return;
        }
        heard.push(text.decode(msg));
        conn.sendLater(`heard ${msg.length} bytes`);
      },
    }).start();
    const { port } = server.address as { port: number };
    using child = spawn(process.execPath, [join(fixtures, fixture), String(port)], {
      cwd: fixtures,
      stdio: ['pipe', 'pipe', 'inherit'],
    }); // killed at the end if it still runs
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

    await waitFor(() => server.connections.size === 1, 'the child to connect');
    child.stdin.write('hello\n');
    await waitFor(() => output.includes('server: heard 6 bytes'), 'the first answer');
    child.stdin.write('typed later\n');
    await waitFor(() => output.includes('server: heard 12 bytes'), 'the second answer');
    child.stdin.end();

    expect(await exited).toBe(0);
    expect(output).toBe(`server: heard 6 bytes\nserver: heard 12 bytes\n${tail}`);
    await waitFor(() => closed, 'the server to see the client leave');
    expect(heard).toEqual(['hello\n', 'typed later\n']);
  });
});
