import { PassThrough, Readable, Writable } from 'node:stream';
import { watchSource } from '@rpc/loop';

/** Turns run by the test, one at a time, so that "once per turn" can be counted exactly. */
function turns(): { turn: (task: () => void) => void; run: () => number } {
  let queue: Array<() => void> = [];
  return {
    turn: (task) => void queue.push(task),
    run: () => {
      const due = queue;
      queue = [];
      for (const task of due) task();
      return due.length;
    },
  };
}

/** A sink whose writes complete only when the test says so; full at `highWaterMark` bytes. */
function heldSink(highWaterMark: number): { sink: Writable; release: () => void } {
  const held: Array<() => void> = [];
  const sink = new Writable({ highWaterMark, write: (_chunk, _encoding, done) => void held.push(() => done()) });
  return {
    sink,
    release: () => {
      while (held.length > 0) held.shift()?.();
    },
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('watchSource: write handlers', () => {
  it('calls write once per turn while the sink takes more, not while a drain is awaited, and again after drain', async () => {
    const { turn, run } = turns();
    const { sink, release } = heldSink(3);
    let calls = 0;
    const write = (): void => {
      calls++;
      sink.write('x');
    };
    watchSource(sink, { write }, { turn });
    expect(calls).toBe(0); // the first call comes with a turn, never inside watch()
    for (let i = 1; i <= 3; i++) {
      expect(run()).toBe(1);
      expect(calls).toBe(i);
    }
    expect(sink.writableNeedDrain).toBe(true); // three bytes: full
    expect(run()).toBe(1); // the turn sees the sink full and stops asking
    expect(run()).toBe(0);
    expect(calls).toBe(3);
    release();
    await tick();
    release();
    await tick(); // drain
    expect(run()).toBe(1);
    expect(calls).toBe(4);
  });

  it('stops when disposed, and when the sink ends (end) or fails (error)', async () => {
    const { turn, run } = turns();
    const ended = new PassThrough();
    const seen: string[] = [];
    const watcher = watchSource(new PassThrough(), { write: () => seen.push('disposed one') }, { turn });
    watchSource(ended, { write: () => seen.push('write'), end: () => seen.push('end') }, { turn });
    watcher.dispose();
    run();
    ended.end();
    run();
    expect(seen).toEqual(['write', 'end']);

    const failing = new PassThrough();
    watchSource(failing, { write: () => undefined, error: (error) => seen.push(error.message) }, { turn });
    failing.destroy(new Error('broken pipe'));
    await tick();
    run();
    expect(seen).toEqual(['write', 'end', 'broken pipe']);
  });

  it('disposing a write watch leaves the reading of the same handle alone', async () => {
    const { turn } = turns();
    const duplex = new PassThrough();
    const chunks: string[] = [];
    watchSource(duplex, { read: (chunk) => chunks.push(Buffer.from(chunk).toString()) }, { turn });
    watchSource(duplex, { write: () => undefined }, { turn }).dispose();
    duplex.write('still read');
    await tick();
    expect(chunks).toEqual(['still read']);
  });

  it('refuses a write handler on a handle that cannot say when it is full, and a watch with no handler', () => {
    const { turn } = turns();
    expect(() => watchSource(Readable.from([]), { write: () => undefined }, { turn })).toThrow(
      expect.objectContaining({
        name: 'UsageError',
        code: 'LOOP_INVALID_OPTION',
        message: 'a write handler needs a writable handle (writable, writableNeedDrain and drain events)',
      }),
    );
    expect(() => watchSource(new PassThrough(), {}, { turn })).toThrow(
      expect.objectContaining({
        name: 'UsageError',
        code: 'LOOP_INVALID_OPTION',
        message: 'watch needs a read or a write handler',
      }),
    );
  });
});

describe('watchSource: read handlers', () => {
  it('delivers chunks (text as UTF-8) through dispatch, then the end, and pauses the source when disposed', async () => {
    const { turn } = turns();
    const dispatched: Array<() => void> = [];
    const source = new PassThrough();
    const seen: string[] = [];
    const watcher = watchSource(
      source,
      {
        read: (chunk) => seen.push(`${chunk.constructor.name} ${Buffer.from(chunk).toString()}`),
        end: () => seen.push('end'),
      },
      { turn, dispatch: (task) => void dispatched.push(task) },
    );
    source.setEncoding('utf8');
    source.write('é');
    await tick();
    expect(seen).toEqual([]); // dispatch decides when
    for (const task of dispatched.splice(0)) task();
    expect(seen).toEqual(['Uint8Array é']);
    watcher.dispose();
    expect(source.isPaused()).toBe(true);
    expect(source.destroyed).toBe(false);
  });
});
