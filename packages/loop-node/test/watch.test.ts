import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { NodeLoop } from '@rpc/loop-node';
import { once, waitFor } from '@rpc/testkit';

const loop = new NodeLoop();

// A real pipe, as the Msg toolkit watches STDIN: a child's stdout fed through `cat`.
describe('NodeLoop.watch', () => {
  it('delivers what arrives on a pipe, then its end', async () => {
    using cat = spawn('cat', [], { stdio: ['pipe', 'pipe', 'inherit'] }); // killed at the end
    const chunks: Buffer[] = [];
    let ended = false;
    loop.watch(cat.stdout, { read: (chunk) => chunks.push(Buffer.from(chunk)), end: () => (ended = true) });
    cat.stdin.write('first line\n');
    await waitFor(() => Buffer.concat(chunks).toString() === 'first line\n', 'the first line');
    cat.stdin.end('second line\n');
    await waitFor(() => ended, 'the end of the pipe');
    expect(Buffer.concat(chunks).toString()).toBe('first line\nsecond line\n');
  });

  it('stops delivering when disposed, without losing what comes later', async () => {
    using cat = spawn('cat', [], { stdio: ['pipe', 'pipe', 'inherit'] }); // killed at the end
    const seen: string[] = [];
    const watcher = loop.watch(cat.stdout, { read: (chunk) => seen.push(Buffer.from(chunk).toString()) });
    cat.stdin.write('one');
    await waitFor(() => seen.join('') === 'one', 'the first chunk');
    watcher.dispose();
    cat.stdin.write('two');
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.join('')).toBe('one');
    // Watching again picks up the bytes that arrived meanwhile: the pipe was paused, not drained.
    const later: string[] = [];
    loop.watch(cat.stdout, {
      read: (chunk) => later.push(Buffer.from(chunk).toString()),
      end: () => later.push('<end>'),
    });
    cat.stdin.end();
    await waitFor(() => later.at(-1) === '<end>', 'the end');
    expect(later.join('')).toBe('two<end>');
  });

  it('passes stream errors to the error handler', async () => {
    using cat = spawn('cat', [], { stdio: ['pipe', 'pipe', 'inherit'] }); // killed at the end
    let error: Error | undefined;
    loop.watch(cat.stdout, { read: () => undefined, error: (e) => (error = e) });
    cat.stdout.destroy(new Error('pipe broke'));
    await waitFor(() => error !== undefined, 'the error');
    expect(error?.message).toBe('pipe broke');
  });
});

// A child that leaves its stdin pipe unread until told (over IPC), then counts what it reads.
const LAZY_READER = `
process.on('message', () => {
  let bytes = 0;
  process.stdin.on('data', (chunk) => (bytes += chunk.length));
  process.stdin.on('end', () => process.send(bytes, () => process.disconnect()));
});
process.send('ready');
`;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('NodeLoop.watch with a write handler', () => {
  it('writes once per turn while a pipe takes more, stops while the pipe is full, and goes on after drain', async () => {
    using child = spawn(process.execPath, ['-e', LAZY_READER], { stdio: ['pipe', 'ignore', 'inherit', 'ipc'] });
    await once(child, 'message');
    const pipe = child.stdin as Writable; // piped above
    const chunk = new Uint8Array(16 * 1024);
    let calls = 0;
    let probes = 0;
    let onePerTurn = true;
    using watcher = loop.watch(pipe, {
      write: () => {
        onePerTurn &&= probes === calls; // what the previous call deferred has run: a turn passed
        calls++;
        setImmediate(() => probes++);
        pipe.write(chunk);
      },
    });
    await waitFor(() => pipe.writableNeedDrain, 'the pipe to fill');
    const whenFull = calls;
    expect(whenFull).toBeGreaterThan(1);
    expect(whenFull).toBeLessThan(256); // bounded: the pipe and the stream's buffer hold a few chunks
    for (let i = 0; i < 20; i++) await turn();
    expect(calls).toBe(whenFull); // nothing while the drain is awaited

    child.send('read');
    await waitFor(() => calls > whenFull + 2, 'writes after the drain');
    watcher.dispose();
    const written = calls * chunk.length;
    pipe.end();
    const received = await new Promise((resolve) => child.once('message', resolve));
    expect(received).toBe(written); // every byte the handler wrote, in one pipe, none lost
    expect(onePerTurn).toBe(true);
  });
});
