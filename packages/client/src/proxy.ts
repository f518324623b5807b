import { TaggedValue } from '@rpc/codec';
import { type MethodKind, rpcError } from '@rpc/core';
import type { CallOptions } from './options.js';
import type { MethodKeys, RemoteListObject, RemoteObject } from './types.js';

/**
 * What one proxy holds on the server: an object id, and how many times the
 * server handed that object to us. The server counts every hand-over (as
 * Event::RPC does) and keeps the object until each is released, so a proxy
 * that stands for several receipts releases them all.
 */
export interface Receipt {
  /** The id of the remote object. */
  readonly oid: string;
  /** Hand-overs not yet released: how many client_destroy requests releasing the proxy sends. */
  count: number;
  /** The client's connection it came on (counted from 0): a later connection has nothing to release. */
  readonly connection?: number;
}

/** What a proxy needs from its client. */
export interface ProxyHost {
  /** Calls `method` of the object `oid`; `kind` says whether the answer holds data (`1`) or objects (`_object`). */
  exec(oid: string, method: string, args: unknown[], kind: MethodKind, options?: CallOptions): Promise<unknown>;
  /** Releases every receipt the proxy holds (client_destroy for each). */
  release(receipt: Receipt): Promise<void>;
  /** release() without waiting for the server, for `using`: a failure is reported, never thrown. */
  releaseLater(receipt: Receipt): void;
}

interface Handle {
  readonly receipt: Receipt;
  readonly oid: string;
  readonly className: string;
  readonly host: ProxyHost;
  readonly methods: ReadonlyMap<string, MethodKind>;
  released: boolean;
  release(): Promise<void>;
}

/** Proxies of this client and their handles, to turn proxies given as parameters back into object references. */
const handles = new WeakMap<object, Handle>();

/** The wire form of a proxy passed as a parameter: what FREEZE makes of a Perl client's object. */
export function toParam(value: unknown): unknown {
  const handle = value !== null && typeof value === 'object' ? handles.get(value) : undefined;
  if (handle === undefined) return value;
  if (handle.released) throw rpcError('RPC_RELEASED', `${handle.oid} was released`);
  return new TaggedValue(handle.className, [['SCALAR', handle.oid]]);
}

/** `args` with proxies turned into object references: the same array when it holds none. */
export function paramsOf(args: unknown[]): unknown[] {
  for (const arg of args) if (toParam(arg) !== arg) return args.map(toParam);
  return args;
}

export function isProxy(value: unknown): boolean {
  return value !== null && typeof value === 'object' && handles.has(value);
}

/**
 * A remote object: reading a method name gives a function that calls it on
 * the server. Only the methods the server exports exist; `then` does not, so
 * a proxy is never mistaken for a promise.
 */
export function createProxy<T>(
  host: ProxyHost,
  receipt: Receipt,
  className: string,
  methods: ReadonlyMap<string, MethodKind>,
): RemoteObject<T> {
  const handle: Handle = {
    receipt,
    oid: receipt.oid,
    className,
    host,
    methods,
    released: false,
    async release() {
      if (handle.released) return;
      handle.released = true;
      await host.release(receipt);
    },
  };
  return view<T>(handle, undefined, undefined);
}

/**
 * The same remote object, with `options` (an AbortSignal, a deadline) on
 * every call made through it: `await withCallOptions(obj, { signal }).slow()`.
 * With `list: true` its methods resolve with every value returned, as an
 * array: `withCallOptions(obj, { list: true }).echo(1, 2)` gives `[1, 2]`,
 * `.echo([1, 2])` gives `[[1, 2]]`.
 */
export function withCallOptions<T, K extends MethodKeys<T>>(
  proxy: RemoteObject<T, K> | RemoteListObject<T, K>,
  options: CallOptions & { readonly list: true },
): RemoteListObject<T, K>;
export function withCallOptions<P extends object>(proxy: P, options: CallOptions): P;
export function withCallOptions<P extends object>(proxy: P, options: CallOptions): P {
  const handle = handles.get(proxy);
  if (handle === undefined) throw rpcError('RPC_INVALID_OPTION', 'withCallOptions() takes a remote object');
  return view(handle, options, proxy) as P;
}

/**
 * Names that serializers, test matchers and inspectors read on any object
 * (JSON, Jest, React, util.inspect): never a remote method, so that reading
 * them finds nothing, as on a plain object.
 */
const INSPECTED = new Set([
  'toJSON',
  'constructor',
  'valueOf',
  'toString',
  'toLocaleString',
  'asymmetricMatch',
  '$$typeof',
  'nodeType',
  'tagName',
  'inspect',
  'prototype',
  'length',
]);

/**
 * Names that code reads to tell what kind of object it has (a promise, a
 * stream, an emitter, an observable, an iterator): a proxy answers them with
 * undefined, as a plain object would, so it is never mistaken for one of
 * those. Any other name the server does not export gives a function that
 * rejects with RPC_UNKNOWN_METHOD, rather than "is not a function".
 */
const DUCK_TYPED = new Set([
  'then',
  'catch',
  'finally',
  'lift',
  'subscribe',
  'pipe',
  'on',
  'once',
  'addListener',
  'addEventListener',
  'emit',
  'next',
]);

/** Whether code inspecting an object reads `name` (see INSPECTED): never a remote method of a promised object. */
export function isInspected(name: string): boolean {
  return INSPECTED.has(name) || name.startsWith('@@') || name.startsWith('__');
}

/** Whether `name` is one that code probing an object reads, never a method the server does not export. */
function isProbed(name: string): boolean {
  return DUCK_TYPED.has(name) || isInspected(name);
}

const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

/**
 * The object behind a proxy: empty, but it shows the proxy's class and id when inspected (console.log, util.inspect).
 */
function targetOf(oid: string): object {
  const description = `RemoteObject <${oid}>`;
  return Object.create(null, { [inspectCustom]: { value: () => description } }) as object;
}

// `keepAlive` holds the original proxy while a view of it lives, so the object is not collected under the view.
function view<T>(handle: Handle, options: CallOptions | undefined, keepAlive: object | undefined): RemoteObject<T> {
  const { oid, className, methods, host } = handle;
  // One function per method, not one per access.
  const callers = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  const caller = (
    method: string,
    call: (...args: unknown[]) => Promise<unknown>,
  ): ((...args: unknown[]) => Promise<unknown>) => {
    let known = callers.get(method);
    if (known === undefined) callers.set(method, (known = call));
    return known;
  };
  const proxy = new Proxy(targetOf(oid), {
    get(target, prop) {
      switch (prop) {
        case 'oid':
          return oid;
        case 'className':
          return className;
        case 'release':
          return handle.release;
        case Symbol.dispose:
          return () => {
            if (handle.released) return;
            handle.released = true;
            host.releaseLater(handle.receipt);
          };
        case Symbol.asyncDispose:
          return handle.release;
        case inspectCustom:
          return (target as Record<symbol, unknown>)[inspectCustom];
      }
      if (typeof prop !== 'string') return undefined;
      const kind = methods.get(prop);
      if (kind === 1 || kind === '_object') {
        return caller(prop, (...args) => {
          if (handle.released) return Promise.reject(rpcError('RPC_RELEASED', `${oid} was released`));
          void keepAlive;
          return host.exec(oid, prop, args, kind, options);
        });
      }
      if (isProbed(prop)) return undefined;
      return caller(prop, () =>
        Promise.reject(rpcError('RPC_UNKNOWN_METHOD', `${className} exports no method '${prop}'`)),
      );
    },
    has: (_target, prop) => typeof prop === 'string' && (methods.has(prop) || prop === 'oid' || prop === 'className'),
    set: () => false,
  });
  handles.set(proxy, handle);
  return proxy as RemoteObject<T>;
}
