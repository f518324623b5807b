import { rpcError } from '@rpc/core';
import { isInspected } from './proxy.js';

/** What a pipelined promise stands for as an argument: its object once arrived, else the call that returns it. */
const promised = new WeakMap<object, () => unknown>();

/**
 * `args` with pipelined promises among them replaced by what stands for their objects (`asArgument` of
 * {@link remotePromise}): the same array when there is none. Throws the call's error when one has failed.
 */
export function promisedArgs(args: unknown[]): unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const standIn = arg !== null && typeof arg === 'object' ? promised.get(arg) : undefined;
    if (standIn !== undefined) (copy ??= args.slice())[i] = standIn();
  }
  return copy ?? args;
}

/** Sends a call on the promised result: the method's name and its arguments. */
export type PipelinedCall = (method: string, args: unknown[]) => Promise<unknown>;

const PROMISE_MEMBERS = new Set<PropertyKey>(['then', 'catch', 'finally', Symbol.toStringTag]);

/**
 * A call's promise on which methods of the promised object can be called
 * before it has arrived: `notebook.copy('x').write('y')` sends both calls at
 * once, and the server runs the second on the first one's result. Awaited,
 * it is the result itself. Given as an argument of another call, it stands
 * for its object (`asArgument`), so that call need not wait for it either.
 */
export function remotePromise(
  promise: Promise<unknown>,
  call: PipelinedCall,
  asArgument: () => unknown,
): Promise<unknown> {
  const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  // `using` on the promise: the object is released once it has arrived (a failed call has nothing to release).
  const dispose = (): void =>
    void promise.then(
      (result) => (result as Partial<Disposable> | undefined)?.[Symbol.dispose]?.(),
      () => undefined,
    );
  const proxy = new Proxy(promise, {
    get(target, prop) {
      if (prop === Symbol.dispose) return dispose;
      if (PROMISE_MEMBERS.has(prop)) {
        const member = Reflect.get(target, prop, target) as unknown;
        return typeof member === 'function' ? (member as () => unknown).bind(target) : member;
      }
      // Methods of the promised object may have any name (`next`, `pipe`, `on`) but those inspectors read.
      if (typeof prop !== 'string' || isInspected(prop)) return undefined;
      let method = methods.get(prop);
      if (method === undefined) methods.set(prop, (method = (...args: unknown[]) => call(prop, args)));
      return method;
    },
  });
  promised.set(proxy, asArgument);
  return proxy;
}

/**
 * The promise of an object for a server that cannot pipeline (Perl's): methods called on it wait for the object,
 * then call it, giving a promise of the same kind; as an argument it must have arrived.
 */
export function waitingPromise(promise: Promise<unknown>): Promise<unknown> {
  let settled: { readonly value: unknown } | { readonly error: unknown } | undefined;
  promise.then(
    (value) => void (settled = { value }),
    (error: unknown) => void (settled = { error }),
  );
  return remotePromise(
    promise,
    (method, args) => waitingPromise(promise.then((value) => callOn(value, method, args))),
    () => {
      if (settled === undefined)
        throw rpcError('RPC_INVALID_OPTION', 'the server does not pipeline: await the object before passing it');
      if ('error' in settled) throw settled.error; // the call it stands for failed: so does this one
      return settled.value;
    },
  );
}

/** Calls `method` on a result that has arrived: its proxy's method, or RPC_UNKNOWN_METHOD when it has none. */
export function callOn(result: unknown, method: string, args: unknown[]): Promise<unknown> {
  const fn = result !== null && typeof result === 'object' ? (result as Record<string, unknown>)[method] : undefined;
  if (typeof fn !== 'function')
    return Promise.reject(rpcError('RPC_UNKNOWN_METHOD', `the result has no method '${method}' to call`));
  return (fn as (...args: unknown[]) => Promise<unknown>)(...args);
}
