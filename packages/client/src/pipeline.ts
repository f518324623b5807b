import { rpcError } from '@rpc/core';

/** Sends a call on the promised result: the method's name and its arguments. */
export type PipelinedCall = (method: string, args: unknown[]) => Promise<unknown>;

const PROMISE_MEMBERS = new Set<PropertyKey>(['then', 'catch', 'finally', Symbol.toStringTag]);

/**
 * A call's promise on which methods of the promised object can be called
 * before it has arrived: `notebook.copy('x').write('y')` sends both calls at
 * once, and the server runs the second on the first one's result. Awaited,
 * it is the result itself.
 */
export function remotePromise(promise: Promise<unknown>, call: PipelinedCall): Promise<unknown> {
  const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  // `using` on the promise: the object is released once it has arrived (a failed call has nothing to release).
  const dispose = (): void =>
    void promise.then(
      (result) => (result as Partial<Disposable> | undefined)?.[Symbol.dispose]?.(),
      () => undefined,
    );
  return new Proxy(promise, {
    get(target, prop) {
      if (prop === Symbol.dispose) return dispose;
      if (PROMISE_MEMBERS.has(prop)) {
        const member = Reflect.get(target, prop, target) as unknown;
        return typeof member === 'function' ? (member as () => unknown).bind(target) : member;
      }
      if (typeof prop !== 'string') return undefined;
      let method = methods.get(prop);
      if (method === undefined) methods.set(prop, (method = (...args: unknown[]) => call(prop, args)));
      return method;
    },
  });
}

/** Calls `method` on a result that has arrived: its proxy's method, or RPC_UNKNOWN_METHOD when it has none. */
export function callOn(result: unknown, method: string, args: unknown[]): Promise<unknown> {
  const fn = result !== null && typeof result === 'object' ? (result as Record<string, unknown>)[method] : undefined;
  if (typeof fn !== 'function')
    return Promise.reject(rpcError('RPC_UNKNOWN_METHOD', `the result has no method '${method}' to call`));
  return (fn as (...args: unknown[]) => Promise<unknown>)(...args);
}
