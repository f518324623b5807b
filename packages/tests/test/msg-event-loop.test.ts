import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { NodeLoop } from '@rpc/loop-node';
import { connect, eventLoop, MsgServer, setEventHandler } from '@rpc/msg';
import { disposer, waitFor } from '@rpc/testkit';

const text = new TextDecoder();
const fixtures = join(__dirname, '..', 'fixtures');
const local = { host: '127.0.0.1', port: 0 };
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('eventLoop on the Node loop', () => {
  it('drives a Msg conversation: a count stops partway, no count runs it until no handle is left', async () => {
    const loop = new NodeLoop();
    const log: string[] = [];
    await using server = await new MsgServer({
      ...local,
      login: () => (conn, msg) => {
        if (msg === undefined) {
          log.push('server saw the client leave');
          void server.close(); // the last connection is gone: stop listening too
          return;
        }
        log.push(`server got ${text.decode(msg)}`);
        conn.sendLater(msg);
      },
      loop,
    }).start();
    await using client = await connect(
      server.address,
      (conn, msg) => {
        if (msg === undefined) return void log.push('client closed');
        const n = Number(text.decode(msg));
        log.push(`client got ${n}`);
        if (n < 5) conn.sendLater(String(n + 1));
        else void conn.close();
      },
      { loop },
    );
    await waitFor(() => server.connections.size === 1, 'the login'); // counted from here on
    client.sendLater('1');

    expect(await eventLoop({ count: 3, loop })).toBe(3);
    expect(log).toEqual(['server got 1', 'client got 1', 'server got 2']); // the next one needs I/O: not yet

    expect(await eventLoop({ loop })).toBe(9); // seven messages and two closes, then no handle is left
    expect(log.slice(3, 10)).toEqual([
      'client got 2',
      'server got 3',
      'client got 3',
      'server got 4',
      'client got 4',
      'server got 5',
      'client got 5',
    ]);
    expect(log.slice(10).sort()).toEqual(['client closed', 'server saw the client leave']);
    expect(client.closed).toBe(true);
  });

  it('calls a write handler while a pipe takes more, none while its drain is awaited, and again after it', async () => {
    const loop = new NodeLoop();
    using child = spawn(process.execPath, [join(fixtures, 'lazy-reader.mjs')], {
      stdio: ['pipe', 'ignore', 'inherit', 'ipc'],
    }); // killed at the end if it still runs
    const messages: unknown[] = [];
    child.on('message', (message) => messages.push(message));
    await waitFor(() => messages.length === 1, 'the child to start');
    const pipe = child.stdin as Writable; // piped above
    const chunk = new Uint8Array(16 * 1024);
    let calls = 0;
    using _removed = disposer(() => setEventHandler(pipe, { write: undefined }, { loop }));
    setEventHandler(
      pipe,
      {
        write: () => {
          calls++;
          pipe.write(chunk);
        },
      },
      { loop },
    );
    expect(await eventLoop({ count: 2, loop })).toBe(2);

    await waitFor(() => pipe.writableNeedDrain, 'the pipe to fill'); // the child reads nothing
    const whenFull = calls;
    expect(whenFull).toBeLessThan(256); // bounded: the pipe and the stream's buffer hold a few chunks
    const stop = new AbortController();
    const oneMore = eventLoop({ count: 1, loop, signal: stop.signal });
    for (let i = 0; i < 20; i++) await turn();
    stop.abort();
    await expect(oneMore).rejects.toMatchObject({ code: 'MSG_ABORTED' }); // twenty turns, no event
    expect(calls).toBe(whenFull);

    child.send('read');
    expect(await eventLoop({ count: 3, loop })).toBe(3); // drained: called again
    setEventHandler(pipe, { write: undefined }, { loop });
    expect(await eventLoop({ loop })).toBe(0);
    const written = calls * chunk.length;
    pipe.end();
    await waitFor(() => messages.length === 2, 'the byte count');
    expect(messages[1]).toBe(written);
  });
});
