import {
  acceptAfterListen,
  BaseChannel,
  type BaseChannelOptions,
  type Channel,
  type FlushCallback,
  loopError,
  TransportError,
} from '@rpc/loop';

const utf8 = new TextEncoder();
const text = (chunks: Uint8Array[]): string => chunks.map((c) => new TextDecoder().decode(c)).join('');

/** Later tasks, run when the test says. */
function laterTasks(): { defer: (task: () => void) => void; run: () => void } {
  const tasks: Array<() => void> = [];
  const run = (): void => {
    while (tasks.length > 0) tasks.shift()?.();
  };
  return { defer: (task) => void tasks.push(task), run };
}

/** A transport the test plays by hand: what the base asks of it is logged. */
class FakeChannel extends BaseChannel {
  readonly local = { host: 'here', port: 1 };
  readonly remote = { host: 'there', port: 2 };
  readonly secure = false;
  readonly log: string[] = [];
  readonly sent: Uint8Array[] = [];
  buffered = 0;
  /** What transmit() answers: false is the transport saying wait. */
  accepts = true;

  constructor(options: BaseChannelOptions) {
    super(options);
  }

  get bufferedAmount(): number {
    return this.buffered;
  }

  protected transmit(chunks: readonly Uint8Array[], _onFlushed: FlushCallback | undefined): boolean {
    for (const chunk of chunks) {
      this.sent.push(chunk);
      this.buffered += chunk.length;
    }
    return this.accepts;
  }

  protected setReading(on: boolean): void {
    this.log.push(on ? 'read' : 'stop');
  }

  protected shutdown(): void {
    this.log.push('shutdown');
  }

  protected abort(): void {
    this.log.push('abort');
  }

  protected override awaitDrain(): void {
    this.log.push('awaitDrain');
  }

  // The transport's side.
  arrive(data: string): void {
    this.received(utf8.encode(data));
  }
  flushed(): void {
    this.buffered = 0;
    this.drained();
  }
  fail(error: TransportError): void {
    this.failed(error);
  }
  end(error?: TransportError): void {
    this.ended(error);
  }
}

function setup(options: BaseChannelOptions = {}): { channel: FakeChannel; run: () => void } {
  const { defer, run } = laterTasks();
  return { channel: new FakeChannel({ defer, ...options }), run };
}

function watch(channel: Channel): { chunks: Uint8Array[]; events: string[] } {
  const chunks: Uint8Array[] = [];
  const events: string[] = [];
  channel.on('data', (chunk) => {
    chunks.push(chunk);
    events.push(`data ${text([chunk])}`);
  });
  channel.on('close', (error) => events.push(`close ${error?.message ?? 'clean'}`));
  return { chunks, events };
}

describe('BaseChannel: reading', () => {
  it('holds data until the first data listener, then releases it in a later task to all listeners by then', () => {
    const { channel, run } = setup();
    channel.arrive('a');
    channel.arrive('b');
    const first = watch(channel);
    const second = watch(channel);
    expect(channel.log).toEqual(['read']);
    expect(first.chunks).toEqual([]);
    run();
    expect([text(first.chunks), text(second.chunks)]).toEqual(['ab', 'ab']);
    channel.arrive('c');
    expect(text(first.chunks)).toBe('abc'); // flowing: at once
  });

  it('stays paused when paused before its first listener; pause stops even a release under way', () => {
    const { channel, run } = setup();
    channel.pause();
    channel.arrive('x');
    channel.arrive('y');
    const got = watch(channel);
    run();
    expect(got.chunks).toEqual([]);
    channel.resume();
    expect(got.chunks).toEqual([]); // released in a later task
    channel.on('data', () => channel.pause()); // pauses after the first chunk
    run();
    expect(text(got.chunks)).toBe('x');
    channel.resume();
    run();
    expect(text(got.chunks)).toBe('xy');
    expect(channel.log).toEqual(['stop', 'read', 'stop', 'read', 'stop']);
  });
});

describe('BaseChannel: the end', () => {
  it('tells a clean end after the data held before it', () => {
    const { channel, run } = setup();
    channel.arrive('last');
    channel.end();
    expect(channel.closed).toBe(false);
    const got = watch(channel);
    run();
    expect(got.events).toEqual(['data last', 'close clean']);
    expect(channel.closed).toBe(true);
  });

  it('ends at once on an error, dropping what was held', () => {
    const { channel, run } = setup();
    const events: string[] = [];
    channel.on('close', (error) => events.push(`close ${error?.code}`));
    channel.arrive('lost');
    channel.fail(loopError('LOOP_CONNECTION_RESET', 'reset'));
    channel.end();
    channel.on('data', () => events.push('data'));
    run();
    expect(events).toEqual(['close LOOP_CONNECTION_RESET']);
  });

  it('close() reads on to the end; a channel nobody reads then closes at once', () => {
    const { channel } = setup();
    const got = watch(channel);
    channel.pause();
    channel.close();
    channel.close();
    expect(channel.log).toEqual(['read', 'stop', 'shutdown', 'read']);
    channel.arrive('unread');
    channel.end();
    expect(got.events).toEqual(['close clean']);
  });

  it('emits close once, and tells late listeners in a later task with the same error unless disposed', () => {
    const { channel, run } = setup();
    const error = loopError('LOOP_IO_FAILED', 'broken');
    const got = watch(channel);
    channel.fail(error);
    channel.fail(loopError('LOOP_IO_FAILED', 'second'));
    channel.end();
    channel.end();
    expect(got.events).toEqual(['close broken']);
    const late: unknown[] = [];
    channel.on('close', (e) => late.push(e));
    channel.on('close', (e) => late.push(['disposed', e])).dispose();
    expect(late).toEqual([]);
    run();
    expect(late).toEqual([error]);
  });

  it('closes with the error given to destroy(), whatever the transport reports after it', () => {
    const { channel, run } = setup();
    const given = loopError('LOOP_IO_FAILED', 'given');
    channel.arrive('dropped');
    const got = watch(channel);
    channel.destroy(given);
    channel.destroy();
    channel.close();
    channel.fail(loopError('LOOP_CONNECTION_RESET', 'reset'));
    channel.end(loopError('LOOP_CONNECTION_RESET', 'reset'));
    run();
    expect(channel.log).toEqual(['read', 'abort']);
    expect(got.events).toEqual(['close given']);
  });
});

describe('BaseChannel: writing', () => {
  it('refuses writes once closing or ended: false, and LOOP_CHANNEL_CLOSED in a later task', () => {
    const { channel, run } = setup();
    const told: unknown[] = [];
    channel.close();
    expect(channel.write(utf8.encode('no'), (e) => told.push(e))).toBe(false);
    expect(channel.writev([utf8.encode('no')], (e) => told.push(e))).toBe(false);
    expect(told).toEqual([]);
    run();
    expect(told).toHaveLength(2);
    for (const error of told) {
      expect(error).toBeInstanceOf(TransportError);
      expect(error).toMatchObject({ code: 'LOOP_CHANNEL_CLOSED', message: 'connection to there:2 is closed' });
    }
    expect(channel.sent).toEqual([]);
  });

  it('says wait at the high-water mark or when the transport does, until one drain', () => {
    const { channel } = setup({ highWaterMark: 10 });
    let drains = 0;
    channel.on('drain', () => drains++);
    expect(channel.write(new Uint8Array(5))).toBe(true);
    expect(channel.write(new Uint8Array(5))).toBe(false); // 10 buffered
    expect(channel.write(new Uint8Array(1))).toBe(false); // still waiting
    expect(channel.log).toEqual(['awaitDrain']);
    channel.flushed();
    channel.flushed();
    expect(drains).toBe(1);
    channel.accepts = false;
    expect(channel.write(new Uint8Array(1))).toBe(false); // the transport's own mark
    channel.flushed();
    expect(drains).toBe(2);
    channel.accepts = true;
    expect(channel.write(new Uint8Array(1))).toBe(true);
  });

  it('calls back a writev of nothing in a later task, sending nothing', () => {
    const { channel, run } = setup();
    const told: unknown[] = [];
    expect(channel.writev([], (e) => told.push(e))).toBe(true);
    expect(told).toEqual([]);
    run();
    expect(told).toEqual([undefined]);
    expect(channel.sent).toEqual([]);
  });
});

describe('acceptAfterListen', () => {
  it('hands over channels accepted before listen resolved only at the next turn, later ones at once', async () => {
    const { defer: turn, run } = laterTasks();
    const { channel: early } = setup();
    const { channel: later } = setup();
    const seen: Channel[] = [];
    let accept: (channel: Channel) => void = () => undefined;
    const bind = async (given: typeof accept): Promise<string> => {
      accept = given;
      accept(early); // before listen() has resolved
      return 'listener';
    };
    const listener = await acceptAfterListen(bind, (channel) => seen.push(channel), turn);
    expect(listener).toBe('listener');
    expect(seen).toEqual([]);
    run();
    expect(seen).toEqual([early]);
    accept(later);
    expect(seen).toEqual([early, later]);
  });

  it('destroys what it accepted if binding fails, and rejects with the failure', async () => {
    const { channel } = setup();
    const failure = loopError('LOOP_LISTEN_FAILED', 'cannot');
    const bind = async (accept: (c: Channel) => void): Promise<never> => {
      accept(channel);
      throw failure;
    };
    await expect(
      acceptAfterListen(
        bind,
        () => undefined,
        () => undefined,
      ),
    ).rejects.toBe(failure);
    expect(channel.log).toEqual(['abort']);
  });
});
