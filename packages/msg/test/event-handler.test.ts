import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { NodeLoop } from '@rpc/loop-node';
import { eventLoop, setEventHandler } from '@rpc/msg';

const text = new TextDecoder();
const show = (chunk: Uint8Array | undefined): string => (chunk === undefined ? '<end>' : text.decode(chunk));

/** `cat`: what goes into its stdin comes back on its stdout, a real pipe each way; `using` kills it at the end. */
function cat(): ReturnType<typeof spawn> & {
  stdin: NonNullable<ReturnType<typeof spawn>['stdin']>;
  stdout: NonNullable<ReturnType<typeof spawn>['stdout']>;
} {
  return spawn('cat', [], { stdio: ['pipe', 'pipe', 'inherit'] }) as never;
}

describe('setEventHandler', () => {
  it('replaces a read handler in place, removes it with undefined without losing input, and deregisters the handle at its end', async () => {
    const loop = new NodeLoop();
    using pipe = cat();
    const seen: string[] = [];
    setEventHandler(pipe.stdout, { read: (chunk) => seen.push(`first ${show(chunk)}`) }, { loop });
    pipe.stdin.write('one');
    expect(await eventLoop({ count: 1, loop })).toBe(1);

    setEventHandler(pipe.stdout, { read: (chunk) => seen.push(`second ${show(chunk)}`) }, { loop }); // one read handler per handle
    pipe.stdin.write('two');
    expect(await eventLoop({ count: 1, loop })).toBe(1);

    const idle = eventLoop({ loop });
    setEventHandler(pipe.stdout, { read: undefined }, { loop });
    expect(await idle).toBe(0); // no handle left

    pipe.stdin.write('three'); // arrives while nobody reads: the pipe waits
    setEventHandler(pipe.stdout, { read: (chunk) => seen.push(`third ${show(chunk)}`) }, { loop });
    pipe.stdin.end();
    expect(await eventLoop({ loop })).toBe(2); // 'three', then the end, after which the handle is gone
    expect(seen).toEqual(['first one', 'second two', 'third three', 'third <end>']);
  });

  it('calls a write handler once per turn until it replaces or removes itself (send_later)', async () => {
    const loop = new NodeLoop();
    using pipe = cat();
    const output: string[] = [];
    pipe.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const done = new Promise((resolve) => pipe.stdout.on('end', resolve));
    let calls = 0;
    const second = (): void => {
      pipe.stdin.write('b');
      if (++calls === 5) setEventHandler(pipe.stdin, { write: undefined }, { loop }); // the queue is empty
    };
    setEventHandler(
      pipe.stdin,
      {
        write: () => {
          pipe.stdin.write('a');
          if (++calls === 3) setEventHandler(pipe.stdin, { write: second }, { loop });
        },
      },
      { loop },
    );
    expect(await eventLoop({ loop })).toBe(5);
    pipe.stdin.end();
    await done;
    expect(output.join('')).toBe('aaabb');
  });

  it('a handler that throws loses its handle and ends the waiting eventLoop with MSG_HANDLER_FAILED', async () => {
    const loop = new NodeLoop();
    using pipe = cat();
    const failure = new Error('bad input');
    setEventHandler(
      pipe.stdout,
      {
        read: () => {
          throw failure;
        },
      },
      { loop },
    );
    const waiting = eventLoop({ loop });
    pipe.stdin.write('x');
    await expect(waiting).rejects.toMatchObject({ name: 'UsageError', code: 'MSG_HANDLER_FAILED', cause: failure });
    expect(await eventLoop({ loop })).toBe(0); // deregistered
  });

  it('refuses callbacks that are not functions, and a write handler on a handle that has no writable side', () => {
    const loop = new NodeLoop();
    expect(() => setEventHandler(Readable.from([]), { read: 'no' as never }, { loop })).toThrow(
      expect.objectContaining({
        name: 'UsageError',
        code: 'MSG_INVALID_OPTION',
        message: 'the read handler must be a function or undefined',
      }),
    );
    expect(() => setEventHandler(Readable.from([]), { write: () => undefined }, { loop })).toThrow(
      expect.objectContaining({ name: 'UsageError', code: 'LOOP_INVALID_OPTION' }),
    );
  });

  it('deregisters a handle whose writable side is ended, without calling its write handler again', async () => {
    const loop = new NodeLoop();
    using pipe = cat();
    const output: string[] = [];
    pipe.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const done = new Promise((resolve) => pipe.stdout.on('end', resolve));
    let calls = 0;
    setEventHandler(
      pipe.stdin,
      {
        write: () => {
          calls++;
          pipe.stdin.end('last');
        },
      },
      { loop },
    );
    expect(await eventLoop({ loop })).toBe(1);
    await done;
    expect({ calls, output: output.join('') }).toEqual({ calls: 1, output: 'last' });
  });
});
