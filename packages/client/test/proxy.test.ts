import { inspect } from 'node:util';
import { TaggedValue } from '@rpc/codec';
import type { MethodKind } from '@rpc/core';
import type { CallOptions } from '../src/options.js';
import { createProxy, toParam, withCallOptions, type ProxyHost, type Receipt } from '../src/proxy.js';

/** Records what proxies ask of their client; the wire is tested in packages/tests against real servers. */
class RecordingHost implements ProxyHost {
  readonly calls: Array<{ oid: string; method: string; args: unknown[]; kind: MethodKind; options?: CallOptions }> = [];
  readonly released: string[] = [];
  exec(oid: string, method: string, args: unknown[], kind: MethodKind, options?: CallOptions): Promise<unknown> {
    this.calls.push({ oid, method, args, kind, ...(options ? { options } : {}) });
    return Promise.resolve(`${method} done`);
  }
  release(receipt: Receipt): Promise<void> {
    this.released.push(`${receipt.oid} x${receipt.count}`);
    return Promise.resolve();
  }
  releaseLater(receipt: Receipt): void {
    void this.release(receipt);
  }
}

const methods = new Map<string, MethodKind>([
  ['get', 1],
  ['clone', '_object'],
  ['new', '_constructor'],
]);

describe('remote object proxies', () => {
  it('offer exactly the exported instance methods, and are never thenable', async () => {
    const host = new RecordingHost();
    const proxy = createProxy<{ get(): string }>(
      host,
      { oid: 'C=OBJ(1)', count: 1 },
      'C',
      methods,
    ) as unknown as Record<string | symbol, unknown>;
    expect(await (proxy.get as () => Promise<unknown>)()).toBe('get done');
    expect(host.calls).toEqual([{ oid: 'C=OBJ(1)', method: 'get', args: [], kind: 1 }]);
    for (const name of ['then', 'toString', 'constructor', '__proto__', 'valueOf', 'toJSON', 'asymmetricMatch'])
      expect(proxy[name]).toBeUndefined();
    // A name the server does not export (a constructor too) is a clear coded error, not "is not a function".
    for (const name of ['new', 'missing']) {
      await expect((proxy[name] as () => Promise<unknown>)()).rejects.toMatchObject({
        name: 'UsageError',
        code: 'RPC_UNKNOWN_METHOD',
        message: `C exports no method '${name}'`,
      });
    }
    expect(host.calls).toHaveLength(1);
    expect(proxy.get).toBe(proxy.get); // one function per method
    expect([proxy.oid, proxy.className]).toEqual(['C=OBJ(1)', 'C']);
    expect(['get' in proxy, 'clone' in proxy, 'then' in proxy]).toEqual([true, true, false]);
    expect(Reflect.set(proxy, 'get', () => 'hijacked')).toBe(false);
    expect(await Promise.resolve(proxy)).toBe(proxy); // awaiting a proxy gives the proxy, no call
    expect(inspect(proxy)).toBe('RemoteObject <C=OBJ(1)>'); // console.log shows the class and id
    expect(JSON.stringify(proxy)).toBe('{}');
  });

  it('travel as parameters the way Event::RPC freezes an object, until released', async () => {
    const host = new RecordingHost();
    const proxy = createProxy(host, { oid: 'C=OBJ(2)', count: 1 }, 'C', methods);
    expect(toParam(proxy)).toEqual(new TaggedValue('C', [['SCALAR', 'C=OBJ(2)']]));
    expect(toParam({ plain: 'data' })).toEqual({ plain: 'data' });
    await proxy.release();
    await proxy.release();
    expect(host.released).toEqual(['C=OBJ(2) x1']);
    expect(() => toParam(proxy)).toThrow(expect.objectContaining({ code: 'RPC_RELEASED' }));
    await expect((proxy as unknown as { get(): Promise<unknown> }).get()).rejects.toMatchObject({
      name: 'UsageError',
      code: 'RPC_RELEASED',
    });
  });

  it('release on `using` and `await using`', async () => {
    const host = new RecordingHost();
    {
      using _a = createProxy(host, { oid: 'C=OBJ(3)', count: 1 }, 'C', methods);
      await using _b = createProxy(host, { oid: 'C=OBJ(4)', count: 1 }, 'C', methods);
    }
    expect(host.released).toEqual(['C=OBJ(4) x1', 'C=OBJ(3) x1']);
  });

  it('carry call options through withCallOptions, on the same remote object', async () => {
    const host = new RecordingHost();
    const proxy = createProxy<{ get(): string }>(host, { oid: 'C=OBJ(5)', count: 1 }, 'C', methods);
    const signal = new AbortController().signal;
    await withCallOptions(proxy, { signal, deadlineMs: 50 }).get();
    expect(host.calls[0]?.options).toEqual({ signal, deadlineMs: 50 });
    expect(toParam(withCallOptions(proxy, {}))).toEqual(toParam(proxy));
    expect(() => withCallOptions({}, {})).toThrow(expect.objectContaining({ code: 'RPC_INVALID_OPTION' }));
  });
});
