import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client, RemoteStream, target, withCallOptions, type ClientOptions } from '@rpc/client';
import { Server, type ServerConnection, type ServerOptions } from '@rpc/server';
import { waitFor } from '@rpc/testkit';
import { adapters } from '../src/adapters.js';
import { feed, produced } from '../src/capability-classes.js';
import { quiet } from './rpc-helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe.each(adapters)('capabilities between @rpc peers on the $name loop', (adapter) => {
  async function peers(serverOptions: Partial<ServerOptions> = {}, clientOptions: Partial<ClientOptions> = {}) {
    const server = new Server({
      host: '127.0.0.1',
      port: 0,
      logger: quiet,
      classes: { Feed: feed },
      loop: adapter.loop(),
      ...serverOptions,
    });
    await server.setupListeners();
    const client = new Client({ host: '127.0.0.1', port: server.port, loop: adapter.loop(), ...clientOptions });
    await client.connect();
    const connection = [...server.connections][0] as ServerConnection;
    const Feed = client.remoteClass<typeof feed>('Feed');
    return {
      server,
      client,
      connection,
      Feed,
      async [Symbol.asyncDispose]() {
        await client.close();
        await server.close();
      },
    };
  }

  describe('callbacks and objects by reference', () => {
    it('passes a function the server calls back, any number of times, and answers come back as promises', async () => {
      await using p = await peers();
      const f = await p.Feed.new('');
      const seen: string[] = [];
      const upper = (item: string): string => {
        seen.push(item);
        return item.toUpperCase();
      };
      expect(await f.map(['a', 'b', 'c'], upper)).toEqual(['A', 'B', 'C']);
      expect(seen).toEqual(['a', 'b', 'c']);
      const listener = (event: string): string => `heard ${event}`;
      expect(await f.subscribe(listener)).toBe(1);
      expect(await f.subscribe(listener)).toBe(1); // the same function arrives as the same stub
      for (let i = 0; i < 5; i++) expect(await f.publish(`e${i}`)).toEqual([`heard e${i}`]);
      // The callbacks live as long as the object they were given to: releasing it gives them back.
      expect(p.client.references.exports).toBeGreaterThan(0);
      await f.release();
      await waitFor(() => p.client.references.exports === 0, 'the server giving back the callbacks of the object');
      expect(p.connection.capabilities?.imports).toBe(0);
    });

    it('lets a callback call the server back while the server waits for it', async () => {
      await using p = await peers();
      const f = await p.Feed.new('outer');
      const nested = async (item: string): Promise<string> => `${item}:${await f.write('+')}`;
      expect(await f.map(['a', 'b'], nested)).toEqual(['a:outer+', 'b:outer++']);
    });

    it('delivers a callback that throws as a rejection on the server, and async callbacks', async () => {
      await using p = await peers();
      const f = await p.Feed.new('');
      await expect(
        f.map(['x'], () => {
          throw new Error('the client refuses');
        }),
      ).rejects.toMatchObject({ code: 'RPC_REMOTE', message: 'the client refuses' });
      expect(await f.map(['x'], async (item: string) => `${item}!`)).toEqual(['x!']);
    });

    it('passes a target object: only its methods are reachable, never names starting with _ or inherited ones', async () => {
      await using p = await peers();
      const f = await p.Feed.new('');
      const observer = target({
        seen: (event: string) => `observed ${event}`,
        _private: () => 'hidden',
      });
      expect(await f.watch(observer, 'E')).toBe('observed E');
      const counter = await f.counter();
      expect(await counter.increment(2)).toBe(2);
      expect(await counter.increment(3)).toBe(5);
      expect('_secret' in counter).toBe(false);
      // A hostile client names methods the target does not expose, and ids it was never given.
      const ref = p.connection.capabilities?.exports ?? 0;
      expect(ref).toBe(1);
      for (const method of ['_secret', 'constructor', '__proto__', 'toString', 'hasOwnProperty'])
        await expect(p.client.request({ cmd: 'call', ref: 1, method, params: [] })).rejects.toMatchObject({
          code: 'RPC_REMOTE',
          message: `reference 1 has no method '${method}' to call`,
        });
      await expect(p.client.request({ cmd: 'call', ref: 99, params: [] })).rejects.toMatchObject({
        message: 'unknown reference 99: released, or never given',
      });
    });

    it('gets functions back from the server, and a function sent back arrives as itself', async () => {
      await using p = await peers();
      const f = await p.Feed.new('');
      const add = await f.makeCounter(10);
      expect(await add(5)).toBe(15);
      expect(await add(1)).toBe(16);
      const mine = (x: number): number => x;
      expect(await f.echo(mine)).toBe(mine);
      const stub = await f.echo(add);
      expect(stub).toBe(add); // the server's own function came back to it and out again: the same stub
      expect(p.connection.capabilities?.exports).toBe(1);
    });

    it('releases stubs with using and release(): later calls are refused on both sides', async () => {
      await using p = await peers();
      const f = await p.Feed.new('');
      {
        using add = await f.makeCounter(0);
        expect(await add(1)).toBe(1);
      }
      await waitFor(() => p.connection.capabilities?.exports === 0, 'the server dropping the released function');
      const counter = await f.counter();
      counter.release();
      await expect(counter.increment(1)).rejects.toMatchObject({ code: 'RPC_RELEASED' });
      // The server refuses the id too: it was released, so a forged call finds nothing.
      await waitFor(() => p.connection.capabilities?.exports === 0, 'the server dropping the released target');
      await expect(p.client.request({ cmd: 'call', ref: 2, method: 'increment', params: [1] })).rejects.toMatchObject({
        message: 'unknown reference 2: released, or never given',
      });
      // The server releases the client's listeners: the client drops them, a stub the server kept is refused.
      await f.subscribe((e: string) => e);
      expect(p.client.references.exports).toBe(1);
      await f.unsubscribeAll();
      await waitFor(() => p.client.references.exports === 0, 'the client dropping the released listener');
    });

    it('releases a stub when it is garbage collected, on either side', async () => {
      await using p = await peers();
      const f = await p.Feed.new('');
      await (async () => {
        const add = await f.makeCounter(0);
        expect(await add(2)).toBe(2);
      })();
      expect(p.connection.capabilities?.exports).toBe(1);
      await waitFor(() => {
        gc();
        return p.connection.capabilities?.exports === 0;
      }, 'the server dropping the function whose stub was collected');
      expect(await f.map(['a'], (s: string) => s)).toEqual(['a']);
      await waitFor(() => {
        gc();
        return p.client.references.exports === 0;
      }, 'the client dropping the function whose stub the server collected');
    });

    it('ends every reference with the connection: stubs reject with RPC_DISCONNECTED on both sides', async () => {
      await using p = await peers();
      const f = await p.Feed.new('');
      await f.subscribe((e: string) => e);
      const add = await f.makeCounter(0);
      const imports = p.connection.capabilities;
      expect(imports?.imports).toBe(1);
      await p.client.close();
      await waitFor(() => imports?.imports === 0, 'the server dropping the stubs of a departed client');
      await expect(add(1)).rejects.toMatchObject({ code: 'RPC_DISCONNECTED' });
      expect(p.client.references).toEqual({ exports: 0, imports: 0 });
    });

    it("ends the server's calls of a client's function with the call that made them", async () => {
      await using p = await peers();
      const f = await p.Feed.new('');
      const abort = new AbortController();
      let called = 0;
      const never = (): Promise<string> => {
        called++;
        return new Promise(() => undefined);
      };
      const mapping = withCallOptions(f, { signal: abort.signal }).map(['a'], never);
      await waitFor(() => called === 1, 'the server calling the function');
      expect(p.connection.report().callsInFlight).toBe(1);
      abort.abort();
      await expect(mapping).rejects.toMatchObject({ code: 'RPC_CANCELLED' });
      // The server's call of the function ended with the cancelled call: nothing of it is left running.
      await waitFor(() => p.connection.report().callsInFlight === 0, 'the server call ended');
      expect(await f.write('next')).toBe('next');
    });

    it('gives back the references in answers nobody waits for', async () => {
      await using p = await peers();
      const f = await p.Feed.new('');
      const abort = new AbortController();
      const late = withCallOptions(f, { signal: abort.signal }).slowCounter(100);
      abort.abort();
      await expect(late).rejects.toMatchObject({ code: 'RPC_CANCELLED' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await waitFor(() => p.connection.capabilities?.exports === 0, 'nothing exported for a call given up on');
      expect(p.client.references.imports).toBe(0);
      // The answer arrives after the caller gave up (a deadline the server does not know of): given back on arrival.
      const raced = p.client.request(
        { cmd: 'exec', oid: f.oid, method: 'slowCounter', params: [50] },
        { deadlineMs: 1 },
      );
      await expect(raced).rejects.toMatchObject({ code: 'RPC_DEADLINE' });
      expect(await f.write('x')).toBe('x');
      await waitFor(() => p.connection.capabilities?.exports === 0, "the late answer's function given back");
    });

    it('gives back the references of calls that never left, and of answers the server stopped waiting for', async () => {
      await using p = await peers();
      const f = await p.Feed.new('');
      const aborted = new AbortController();
      aborted.abort();
      await expect(withCallOptions(f, { signal: aborted.signal }).map(['a'], (s: string) => s)).rejects.toMatchObject({
        code: 'RPC_CANCELLED',
      });
      expect(p.client.references.exports).toBe(0);
      // The server stops waiting for the client's answer (its call was cancelled); the answer brings a function.
      const abort = new AbortController();
      let answered = false;
      const late = async (): Promise<() => number> => {
        abort.abort();
        await new Promise((resolve) => setTimeout(resolve, 50));
        answered = true;
        return () => 1;
      };
      await expect(withCallOptions(f, { signal: abort.signal }).ask(late)).rejects.toMatchObject({
        code: 'RPC_CANCELLED',
      });
      await waitFor(() => answered, 'the late answer sent');
      // Only `late` itself is held now, by the object it was given to, until that object goes.
      await waitFor(() => p.client.references.exports === 1, 'the function in the late answer given back');
      expect(await f.write('fine')).toBe('fine');
      await f.release();
      await waitFor(() => p.client.references.exports === 0, 'the callback given back with its object');
    });

    it('refuses a promise inside a value, without harm to the connection', async () => {
      await using p = await peers();
      const f = await p.Feed.new('');
      const copy = f.copy('z');
      await expect(f.echo([copy] as never)).rejects.toMatchObject({ code: 'RPC_INVALID_OPTION' });
      await expect(f.echo({ nested: Promise.resolve(1) } as never)).rejects.toMatchObject({
        code: 'RPC_INVALID_OPTION',
      });
      expect(await (await copy).read()).toBe('z');
      // Code that probes objects finds nothing on a pipelined promise but its promise members.
      expect([
        (copy as unknown as { toJSON?: unknown }).toJSON,
        (copy as unknown as { $$typeof?: unknown }).$$typeof,
      ]).toEqual([undefined, undefined]);
    });

    it('enforces per-connection limits with RPC_LIMIT, before the call leaves or before the server keeps anything', async () => {
      await using p = await peers({ maxImports: 3, maxExports: 2 }, { maxExports: 4 });
      const f = await p.Feed.new('');
      const fns = Array.from({ length: 4 }, (_, i) => (s: string) => `${i}${s}`);
      await expect(f.echo(fns)).rejects.toMatchObject({
        code: 'RPC_LIMIT',
        message: 'holding 3 references of the peer; the limit is 3',
      });
      expect(p.connection.capabilities?.imports).toBe(0);
      await waitFor(() => p.client.references.exports === 0, 'the refused references given back');
      // Past the client's own limit the call fails before it is sent.
      const five = Array.from({ length: 5 }, (_, i) => () => i);
      await expect(f.echo(five)).rejects.toMatchObject({ code: 'RPC_LIMIT', name: 'ProtocolError' });
      expect(p.client.references.exports).toBe(0);
      // The server gives out at most two functions to this client.
      const a = await f.makeCounter(0);
      const b = await f.makeCounter(0);
      await expect(f.makeCounter(0)).rejects.toMatchObject({
        code: 'RPC_LIMIT',
        message: 'the peer holds 2 references; the limit is 2',
      });
      expect(await a(1)).toBe(1);
      b.release();
      await waitFor(() => p.connection.capabilities?.exports === 1, 'the released function dropped');
      expect(await (await f.makeCounter(7))(0)).toBe(7);
    });

    it('refuses forged and malformed references without harm to the connection', async () => {
      await using p = await peers();
      const f = await p.Feed.new('');
      const { TaggedValue } = await import('@rpc/codec');
      const forged = [
        new TaggedValue('@rpc.back', [12345]),
        new TaggedValue('@rpc.fn', ['x']),
        new TaggedValue('@rpc.obj', [1, 'not a list']),
        new TaggedValue('@rpc.nonsense', [1]),
      ];
      for (const value of forged) {
        await expect(
          p.client.request({ cmd: 'exec', oid: f.oid, method: 'echo', params: [value], refs: 1 } as never),
        ).rejects.toMatchObject({ code: 'RPC_BAD_REQUEST', name: 'ProtocolError' });
      }
      expect(await f.write('still here')).toBe('still here');
    });
  });

  describe('promise pipelining', () => {
    it('calls methods on promised objects: a chain leaves at once and runs on the results', async () => {
      await using p = await peers();
      const box = p.Feed.new('p').copy('q');
      expect(await box.write('r')).toBe('pqr');
      expect(await p.Feed.new('1').copy('2').copy('3').read()).toBe('123');
      const f = await p.Feed.new('a');
      const [x, y] = await Promise.all([f.copy('x').read(), f.copy('y').copy('z').read()]);
      expect([x, y]).toEqual(['ax', 'ayz']);
      // Awaiting the promise gives the object itself.
      const copy = await f.copy('!');
      expect(copy.className).toBe('Feed');
      expect(await copy.read()).toBe('a!');
      await waitFor(() => p.connection.kept?.size === 0, 'the server dropping kept results once finished');
    });

    it('sends the dependent calls before the first one is answered', async () => {
      await using p = await peers();
      const f = await p.Feed.new('');
      const commands: string[] = [];
      p.server.on('call', (_connection, request) => commands.push(`${request.cmd}${'on' in request ? '@on' : ''}`));
      const first = f.copy('1');
      const chained = first.copy('2').copy('3').read();
      // Nothing has been answered yet, and all four calls are on their way.
      expect(await chained).toBe('123');
      expect(commands).toEqual(['exec', 'exec@on', 'exec@on', 'exec@on']);
    });

    it('releases the object of a pipelined promise with using, once it has arrived', async () => {
      await using p = await peers();
      const f = await p.Feed.new('a');
      {
        using box = f.copy('b');
        expect(await box.read()).toBe('ab');
        expect(p.connection.objects.size).toBe(2);
      }
      await waitFor(() => p.connection.objects.size === 1, 'the copy released when its scope ended');
      // A failed call has nothing to release, and its promise's disposal throws nothing.
      {
        using failed = f.fail('no copy');
        await expect(failed).rejects.toMatchObject({ message: 'no copy' });
      }
      expect(await f.read()).toBe('a');
    });

    it('takes a promised object as an argument, without waiting for it', async () => {
      await using p = await peers();
      const f = await p.Feed.new('a');
      const commands: string[] = [];
      p.server.on('call', (_connection, request) => commands.push(String(request.cmd)));
      expect(await f.append(f.copy('b'))).toBe('aab');
      expect(await f.append(p.Feed.new('x').copy('y'))).toBe('aabxy');
      expect(commands).toEqual(['exec', 'exec', 'new', 'exec', 'exec']);
      // Once the object has arrived, the promise stands for its proxy.
      const c = f.copy('!');
      await c;
      expect(await f.append(c)).toBe('aabxyaabxy!');
      await expect(f.append(f.fail('no feed'))).rejects.toMatchObject({ message: 'no feed' });
      const failed = f.fail('failed before');
      await failed.catch(() => undefined);
      await expect(f.append(failed)).rejects.toMatchObject({ message: 'failed before' });
    });

    it('lets errors flow down the chain', async () => {
      await using p = await peers();
      const f = await p.Feed.new('');
      await expect(f.fail('broken').copy('x').write('y')).rejects.toMatchObject({
        code: 'RPC_REMOTE',
        message: 'broken',
      });
      await expect((f.copy('x') as unknown as { nonsense(): Promise<unknown> }).nonsense()).rejects.toMatchObject({
        code: 'RPC_REMOTE',
      });
      await expect(
        p.client.request({ cmd: 'exec', oid: '', on: 424242, method: 'read', params: [] }),
      ).rejects.toMatchObject({
        message: 'call 424242 has no result kept for pipelining',
      });
    });
  });

  describe('streams', () => {
    it('streams values from the server with `for await`, and errors at the point of iteration', async () => {
      await using p = await peers();
      const f = await p.Feed.new('');
      const stream = await f.count(1000);
      expect(stream).toBeInstanceOf(RemoteStream);
      let sum = 0;
      let n = 0;
      for await (const value of stream) {
        sum += value;
        n++;
      }
      expect([n, sum]).toEqual([1000, 499500]);
      const seen: number[] = [];
      await expect(
        (async () => {
          for await (const value of await f.failing(3)) seen.push(value);
        })(),
      ).rejects.toMatchObject({ code: 'RPC_REMOTE', message: 'failed after 3' });
      expect(seen).toEqual([0, 1, 2]);
    });

    it('stops the producer when the consumer breaks, aborts or disconnects', async () => {
      await using p = await peers({}, { streamWindow: 8 });
      const f = await p.Feed.new('');
      const closed = produced.closed;
      for await (const value of await f.ticks(1_000_000)) if (value === 20) break;
      await waitFor(() => produced.closed === closed + 1, "the generator's finally after break");
      const abort = new AbortController();
      const aborted = await withCallOptions(f, { signal: abort.signal }).ticks(1_000_000);
      const seen: number[] = [];
      await expect(
        (async () => {
          for await (const value of aborted) {
            seen.push(value);
            if (value === 5) abort.abort(new Error('enough'));
          }
        })(),
      ).rejects.toMatchObject({ code: 'RPC_CANCELLED' });
      expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
      await waitFor(() => produced.closed === closed + 2, "the generator's finally after an abort");
      const pending = await f.ticks(1_000_000);
      await pending.next();
      await p.client.close();
      await expect(pending.next()).rejects.toMatchObject({ code: 'RPC_DISCONNECTED' });
      await waitFor(() => produced.closed === closed + 3, "the generator's finally after a disconnect");
    });

    it('uploads a stream from the client, and stops it when the server stops reading or the call is aborted', async () => {
      await using p = await peers({ streamWindow: 4 });
      const f = await p.Feed.new('');
      async function* numbers(n: number, log: { made: number; closed: boolean }) {
        try {
          for (let i = 1; i <= n; i++) {
            log.made++;
            yield i;
          }
        } finally {
          log.closed = true;
        }
      }
      const whole = { made: 0, closed: false };
      expect(await f.sum(numbers(1000, whole))).toBe(500500);
      expect(whole).toEqual({ made: 1000, closed: true });
      const part = { made: 0, closed: false };
      expect(await f.take(numbers(1_000_000, part), 3)).toEqual([1, 2, 3]);
      await waitFor(() => part.closed, 'the upload closed when the server stopped reading');
      expect(part.made).toBeLessThanOrEqual(3 + 4 + 1);
      const abort = new AbortController();
      const cancelled = { made: 0, closed: false };
      const summing = withCallOptions(f, { signal: abort.signal }).sum(numbers(Number.MAX_SAFE_INTEGER, cancelled));
      await waitFor(() => cancelled.made > 100, 'the upload under way');
      abort.abort();
      await expect(summing).rejects.toMatchObject({ code: 'RPC_CANCELLED' });
      await waitFor(() => cancelled.closed, 'the upload closed when its call was aborted');
      expect(await f.write('fine')).toBe('fine');
    });
  });
});

describe('a stream of 1,000,000 values to a slow consumer', () => {
  it('keeps the producer within the window of the consumer, and memory flat', async () => {
    const window = 64;
    await using server = new Server({ host: '127.0.0.1', port: 0, logger: quiet, classes: { Feed: feed } });
    await server.setupListeners();
    await using client = await new Client({ host: '127.0.0.1', port: server.port, streamWindow: window }).connect();
    const f = await client.remoteClass<typeof feed>('Feed').new('');
    const start = produced.values;
    const stream = await f.ticks(1_000_000);
    let read = 0;
    let widest = 0;
    let heapAt100k = 0;
    let heapHighest = 0;
    let outOfOrder = 0;
    for await (const value of stream) {
      if (value !== read) outOfOrder++;
      read++;
      widest = Math.max(widest, produced.values - start - read);
      if (read % 50_000 === 0) {
        // The slow consumer: it stops for a while, and the producer must stop too.
        const before = produced.values;
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(produced.values - before).toBeLessThanOrEqual(window);
        gc();
        const heap = process.memoryUsage().heapUsed;
        if (read === 100_000) heapAt100k = heap;
        heapHighest = Math.max(heapHighest, heap);
      }
      widest = Math.max(widest, stream.buffered);
    }
    expect(read).toBe(1_000_000);
    expect(outOfOrder).toBe(0);
    expect(widest).toBeLessThanOrEqual(window);
    // Nothing grows with the values streamed: the heap stays within a few MiB of where it was at 100,000.
    expect(heapHighest - heapAt100k).toBeLessThan(16 * 1024 * 1024);
  }, 120_000);
});
