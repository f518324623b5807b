import { PassThrough } from 'node:stream';
import { nodeLoop } from '@rpc/loop-node';
import { MemoryTransport, RxLoop, runInVirtualTime } from '@rpc/loop-rxjs';
import { connect, eventLoop, MsgServer, setEventHandler } from '@rpc/msg';
import { disposer } from '@rpc/testkit';
import { VirtualTimeScheduler } from 'rxjs';

const text = new TextDecoder();

/** A Msg server answering each message 250 virtual ms later, and a client counting to three, run by eventLoop. */
async function conversation(): Promise<string[]> {
  const scheduler = new VirtualTimeScheduler();
  const loop = new RxLoop({ scheduler, transport: new MemoryTransport(scheduler) });
  const log: string[] = [];
  await runInVirtualTime(scheduler, async () => {
    await using server = await new MsgServer({
      host: 'memory',
      port: 0,
      login: () => (conn, msg) => {
        if (msg === undefined) {
          log.push(`server saw the client leave at ${loop.now()}`);
          void server.close();
          return;
        }
        log.push(`server got ${text.decode(msg)} at ${loop.now()}`);
        loop.timer(250, () => conn.sendLater(msg));
      },
      loop,
    }).start();
    await using client = await connect(
      server.address,
      (conn, msg) => {
        if (msg === undefined) return void log.push(`client closed at ${loop.now()}`);
        const n = Number(text.decode(msg));
        log.push(`client got ${n} at ${loop.now()}`);
        if (n < 3) conn.sendLater(String(n + 1));
        else void conn.close();
      },
      { loop },
    );
    client.sendLater('1');
    const first = await eventLoop({ count: 3, loop }); // the login, 'server got 1', 'client got 1'
    log.push(`eventLoop({ count: 3 }) gave ${first} at ${loop.now()}`);
    const rest = await eventLoop({ loop });
    log.push(`eventLoop() gave ${rest} at ${loop.now()}`);
  });
  return log;
}

describe('eventLoop on an RxJS loop in virtual time', () => {
  it('runs a whole Msg conversation with eventLoop({ count }) and eventLoop(), the same way every run', async () => {
    const runs = [await conversation(), await conversation(), await conversation()];
    expect(runs[0]).toEqual([
      'server got 1 at 0',
      'client got 1 at 250',
      'eventLoop({ count: 3 }) gave 3 at 250', // the awaiting code resumes before the next task of the instant
      'server got 2 at 250',
      'client got 2 at 500',
      'server got 3 at 500',
      'client got 3 at 750',
      'server saw the client leave at 750',
      'client closed at 750',
      'eventLoop() gave 6 at 750',
    ]);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });

  it('counts the calls of a write handler that removes itself once its queue is empty (send_later)', async () => {
    const scheduler = new VirtualTimeScheduler();
    const loop = new RxLoop({ scheduler, transport: new MemoryTransport(scheduler) });
    const sink = new PassThrough();
    const queue = ['a', 'b', 'c'];
    const written: string[] = [];
    const events = await runInVirtualTime(scheduler, async () => {
      const flush = (): void => {
        written.push(`${queue[0]} at ${loop.now()}`);
        sink.write(queue.shift() as string);
        if (queue.length === 0) setEventHandler(sink, { write: undefined }, { loop });
      };
      setEventHandler(sink, { write: flush }, { loop });
      return eventLoop({ loop }); // until no handle is left
    });
    expect(events).toBe(3);
    expect(written).toEqual(['a at 0', 'b at 0', 'c at 0']);
  });
});

describe('a write handler on an RxJS loop over the Node loop', () => {
  it('leaves room for I/O between calls although asap actions are microtasks', async () => {
    const loop = new RxLoop({ transport: nodeLoop });
    const sink = new PassThrough(); // always writable
    let calls = 0;
    using _removed = disposer(() => setEventHandler(sink, { write: undefined }, { loop }));
    setEventHandler(sink, { write: () => void calls++ }, { loop });
    // Each of these turns needs the host loop to go round: a microtask chain of write calls would never let it.
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBeGreaterThanOrEqual(5); // about one call per turn
    expect(calls).toBeLessThanOrEqual(15);
    setEventHandler(sink, { write: undefined }, { loop });
    expect(await eventLoop({ loop })).toBe(0);
  });
});
