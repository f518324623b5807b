import type { Channel } from '@rpc/loop';
import { MemoryTransport, RxLoop, runInVirtualTime } from '@rpc/loop-rxjs';
import { Connection } from '@rpc/msg';
import {
  mprpcCodec,
  msgpackValues,
  MprpcPeer,
  type MprpcHandler,
  type MprpcResult,
  type PeerOptions,
  type RpcError,
} from '@rpc/mprpc';
import { VirtualTimeScheduler } from 'rxjs';

interface Api {
  sum(a: number, b: number): number;
  hold(name: string): string;
  never(): never;
  twice(): number;
  huge(): bigint;
  note(text: string): void;
  /** Nobody serves it. */
  missing(text: string): void;
}

/**
 * Two peers over the in-memory transport, every byte and timer on one
 * virtual-time scheduler: `left` calls `right`'s methods and back. `held`
 * keeps the requests that `hold` parks, for the test to answer in its order.
 * `await using` closes both connections.
 */
async function peers(loop: RxLoop, options: Partial<PeerOptions> = {}) {
  const held = new Map<string, MprpcResult>();
  const seen: string[] = [];
  const handlers: Record<string, MprpcHandler> = {
    sum: (res, a, b) => res?.result(Number(a) + Number(b)),
    hold: (res, name) => void (res && held.set(String(name), res)),
    never: () => undefined,
    twice: (res) => {
      res?.result(1);
      try {
        res?.result(2);
      } catch (error) {
        seen.push((error as RpcError).code);
      }
    },
    huge: (res) => res?.result(2n ** 70n), // more than MessagePack's 64-bit integers
    note: (res, text) => {
      seen.push(`${res === undefined ? 'notification' : 'request'} ${String(text)}`);
      if (text === 'throw') throw new Error('note broke');
    },
  };
  let accept: (channel: Channel) => void = () => undefined;
  const accepted = new Promise<Channel>((resolve) => (accept = resolve));
  const listener = await loop.listen({ host: 'memory', port: 0 }, (channel) => accept(channel));
  const connection = (channel: Channel) => new Connection(channel, { loop, framing: msgpackValues });
  const leftConn = connection(await loop.connect(listener.address));
  const rightConn = connection(await accepted);
  await listener.close();
  const common = {
    codec: mprpcCodec(),
    loop,
    maxInFlight: 16,
    maxCalls: 16,
    handlerFor: (method: string) => handlers[method],
  };
  const left = new MprpcPeer<Api>(leftConn, { ...common, ...options });
  const right = new MprpcPeer<Api>(rightConn, {
    ...common,
    onCall: (message) => seen.push(`call ${message.method}`),
    onError: (error) => seen.push(`${error.code}: ${error.message}`),
    ...options,
  });
  const close = async (): Promise<void> => {
    await Promise.all([leftConn.close(), rightConn.close()]);
  };
  return { left, right, leftConn, rightConn, held, seen, [Symbol.asyncDispose]: close };
}

/** Runs `work` with a fresh loop in virtual time. */
function virtually<T>(work: (loop: RxLoop) => Promise<T>): Promise<T> {
  const scheduler = new VirtualTimeScheduler();
  const loop = new RxLoop({ scheduler, transport: new MemoryTransport(scheduler) });
  return runInVirtualTime(scheduler, () => work(loop));
}

describe('MprpcPeer', () => {
  it('calls either way, with answers matched by id in the order they come', () =>
    virtually(async (loop) => {
      await using pp = await peers(loop);
      const { left, right, held } = pp;
      expect(await left.call('sum', 1, 2)).toBe(3);
      expect(await right.call('sum', 3, 4)).toBe(7);
      const order: string[] = [];
      const calls = ['a', 'b', 'c'].map((name) => left.call('hold', name).then((value) => void order.push(value)));
      await left.call('sum', 0, 0); // the three have been served (held) by now: they went first
      expect(left.callsInFlight).toBe(3);
      for (const name of ['c', 'a', 'b']) held.get(name)?.result(name);
      await Promise.all(calls);
      expect(order).toEqual(['c', 'a', 'b']);
      expect(left.callsInFlight).toBe(0);
    }));

  it('gives up at the deadline on the loop, the default one or the call’s own, and drops the late answer', () =>
    virtually(async (loop) => {
      await using pp = await peers(loop, { deadlineMs: 30_000 });
      const { left, held } = pp;
      const started = loop.now();
      await expect(left.call('never')).rejects.toMatchObject({
        name: 'CancelError',
        code: 'RPC_DEADLINE',
        message: 'no answer within 30000 ms',
      });
      expect(loop.now() - started).toBe(30_000);
      const late = left.callWith({ deadlineMs: 5 }, 'hold', 'late');
      await expect(late).rejects.toMatchObject({ code: 'RPC_DEADLINE' });
      expect(loop.now() - started).toBe(30_005);
      held.get('late')?.result('too late'); // nobody waits for it any more
      expect(await left.call('sum', 1, 1)).toBe(2);
      expect(left.callsInFlight).toBe(0);
    }));

  it('gives up when the call’s signal aborts, and sends nothing for a signal aborted already', () =>
    virtually(async (loop) => {
      await using pp = await peers(loop);
      const { left, seen } = pp;
      const abort = new AbortController();
      const call = left.callWith({ signal: abort.signal }, 'never');
      loop.timer(10, () => abort.abort(new Error('changed my mind')));
      const error = await call.catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'CancelError', code: 'RPC_CANCELLED', message: 'call cancelled' });
      expect((error as Error).cause).toMatchObject({ message: 'changed my mind' });
      await expect(left.callWith({ signal: abort.signal }, 'note', 'unsent')).rejects.toMatchObject({
        code: 'RPC_CANCELLED',
      });
      await left.call('sum', 0, 0);
      expect(seen).toEqual(['call never', 'call sum']);
    }));

  it('fails every call in flight when the connection goes, and refuses calls after', () =>
    virtually(async (loop) => {
      await using pp = await peers(loop);
      const { left, rightConn } = pp;
      const calls = [left.call('never'), left.call('hold', 'x')].map((call) => call.catch((e: unknown) => e));
      await left.call('sum', 0, 0);
      rightConn.destroy();
      for (const error of await Promise.all(calls))
        expect(error).toMatchObject({ name: 'TransportError', code: 'RPC_DISCONNECTED' });
      expect(left.connected).toBe(false);
      await expect(left.call('sum', 1, 1)).rejects.toMatchObject({ name: 'UsageError', code: 'RPC_NOT_CONNECTED' });
      expect(() => left.notify('note', 'x')).toThrow(expect.objectContaining({ code: 'RPC_NOT_CONNECTED' }));
    }));

  it('keeps to its limits: our calls (maxCalls) and the peer’s requests served at once (maxInFlight)', () =>
    virtually(async (loop) => {
      await using pp = await peers(loop, { maxCalls: 3, maxInFlight: 2 });
      const { left, held } = pp;
      const parked = [left.call('hold', 'a'), left.call('hold', 'b')];
      await expect(left.call('sum', 1, 1)).rejects.toMatchObject({
        name: 'RemoteError',
        code: 'RPC_REMOTE',
        message: 'too many calls in flight (the limit is 2)',
      });
      const third = left.call('hold', 'c');
      await expect(left.call('sum', 1, 1)).rejects.toMatchObject({ name: 'UsageError', code: 'RPC_TOO_MANY_CALLS' });
      await expect(third).rejects.toMatchObject({ code: 'RPC_REMOTE' }); // it came while two were held
      held.get('a')?.result('a');
      held.get('b')?.result('b');
      expect(await Promise.all(parked)).toEqual(['a', 'b']);
      expect(await left.call('sum', 2, 2)).toBe(4);
    }));

  it('serves notifications without answering, and reports a handler that throws on one', () =>
    virtually(async (loop) => {
      await using pp = await peers(loop);
      const { left, seen } = pp;
      left.notify('note', 'hello');
      left.notify('note', 'throw');
      left.notify('missing', 'nobody hears it');
      await left.call('sum', 0, 0);
      expect(seen).toEqual([
        'call note',
        'notification hello',
        'call note',
        'notification throw',
        'MPRPC_HANDLER_FAILED: notification note failed: note broke',
        'call missing',
        'call sum',
      ]);
    }));

  it('answers once: a second answer throws, and a result MessagePack cannot carry is answered with an error', () =>
    virtually(async (loop) => {
      await using pp = await peers(loop);
      const { left, seen } = pp;
      expect(await left.call('twice')).toBe(1);
      expect(seen).toContain('MPRPC_ALREADY_ANSWERED');
      await expect(left.call('huge')).rejects.toMatchObject({
        code: 'RPC_REMOTE',
        message: expect.stringMatching(/^cannot send the result of huge: /),
      });
    }));

  it('serves a call whose onCall hook throws, and reports the throw to onError', () =>
    virtually(async (loop) => {
      const reported: string[] = [];
      await using pp = await peers(loop, {
        onCall: () => {
          throw new Error('hook broke');
        },
        onError: (error) => {
          reported.push(`${error.code}: ${error.message}`);
          throw new Error('so did the error hook'); // nobody left to tell: dropped
        },
      });
      expect(await pp.left.call('sum', 1, 2)).toBe(3);
      expect(pp.right.serving).toBe(0);
      expect(pp.right.served).toBe(1);
      expect(reported).toContain('MPRPC_LISTENER_FAILED: onCall threw: hook broke');
    }));

  it('gives up the requests it serves when the connection goes: their signal aborts, a late answer is dropped', () =>
    virtually(async (loop) => {
      await using pp = await peers(loop);
      const { left, right, held, leftConn } = pp;
      const call = left.call('hold', 'x').catch((error: unknown) => error);
      await left.call('sum', 0, 0);
      expect(right.serving).toBe(1);
      leftConn.destroy();
      expect(await call).toMatchObject({ code: 'RPC_DISCONNECTED' });
      await pp.rightConn.done;
      const res = held.get('x') as MprpcResult;
      expect(res.signal.reason).toMatchObject({ code: 'RPC_DISCONNECTED' });
      expect(right.serving).toBe(0);
      expect(() => res.result('late')).not.toThrow();
    }));

  it('closes the connection over a message that is not MessagePack-RPC', () =>
    virtually(async (loop) => {
      await using pp = await peers(loop);
      const { leftConn, rightConn } = pp;
      leftConn.sendLater(mprpcCodec().encode([0, -1, 'sum', []])); // an id that is not 32-bit unsigned
      await leftConn.done;
      await rightConn.done;
      expect(rightConn.error).toMatchObject({
        name: 'ProtocolError',
        code: 'MPRPC_BAD_MESSAGE',
        message: 'a message that is not MessagePack-RPC (request, response or notification)',
      });
    }));
});
