import { spawn } from 'node:child_process';
import { NodeLoop } from '@rpc/loop-node';
import { waitFor } from '@rpc/testkit';

const loop = new NodeLoop();

// A real pipe, as the Msg toolkit watches STDIN: a child's stdout fed through `cat`.
describe('NodeLoop.watch', () => {
  it('delivers what arrives on a pipe, then its end', async () => {
    const cat = spawn('cat', [], { stdio: ['pipe', 'pipe', 'inherit'] });
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
    const cat = spawn('cat', [], { stdio: ['pipe', 'pipe', 'inherit'] });
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
    loop.watch(cat.stdout, { read: (chunk) => later.push(Buffer.from(chunk).toString()), end: () => later.push('<end>') });
    cat.stdin.end();
    await waitFor(() => later.at(-1) === '<end>', 'the end');
    expect(later.join('')).toBe('two<end>');
  });

  it('passes stream errors to the error handler', async () => {
    const cat = spawn('cat', [], { stdio: ['pipe', 'pipe', 'inherit'] });
    let error: Error | undefined;
    loop.watch(cat.stdout, { read: () => undefined, error: (e) => (error = e) });
    cat.stdout.destroy(new Error('pipe broke'));
    await waitFor(() => error !== undefined, 'the error');
    expect(error?.message).toBe('pipe broke');
    cat.kill();
  });
});
