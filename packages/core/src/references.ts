import { findMethod } from './methods.js';

/**
 * How references travel inside values, as tagged values whose class names
 * no Perl class can have: the sender's function, target object or stream,
 * and one of the receiver's own references coming back to it.
 */
export const REFERENCE_TAGS: {
  /** The sender's function: `[id]`. */
  readonly function: '@rpc.fn';
  /** The sender's target object: `[id, [method, ...]]`. */
  readonly target: '@rpc.obj';
  /** The sender's async iterable: `[id]`. */
  readonly stream: '@rpc.stream';
  /** One of the receiver's own references coming back to it: `[id]`. */
  readonly back: '@rpc.back';
  /** The object a call of the sender's returns (by the call's id), as an argument of a call pipelined on it. */
  readonly result: '@rpc.result';
} = {
  function: '@rpc.fn',
  target: '@rpc.obj',
  stream: '@rpc.stream',
  back: '@rpc.back',
  result: '@rpc.result',
};

declare const targetBrand: unique symbol;
declare const stubOf: unique symbol;

/** An object passed by reference: the peer gets a stub whose methods call this object's (see {@link target}). */
export type Target<T extends object> = T & {
  /** Never present at run time: marks the type as passed by reference. */
  readonly [targetBrand]: T;
};

/** The methods each target exposes, by object. */
const targets = new WeakMap<object, ReadonlySet<string>>();

/**
 * Marks `object` to travel by reference: a peer it is passed to, as an
 * argument or a result, gets a stub whose methods call it here, over the
 * same connection. Only `methods` can be called; when absent, a class
 * instance's methods (its prototypes', never its own fields) or a plain
 * object's own functions, except `constructor`, `then`, `release` (the
 * stub's own) and names starting with `_`. Returns the object.
 */
export function target<T extends object>(object: T, methods?: readonly (keyof T & string)[]): Target<T> {
  const names = new Set<string>();
  for (const name of methods ?? defaultMethods(object)) {
    if (name === 'release') throw new TypeError("target(): 'release' is the stub's own; name the method otherwise");
    if (findMethod(object, name) === undefined) throw new TypeError(`target(): '${name}' is not a method`);
    names.add(name);
  }
  targets.set(object, names);
  return object as Target<T>;
}

/** The methods a peer may call on `object`, or undefined when it is not a target. */
export function targetMethods(object: object): ReadonlySet<string> | undefined {
  return targets.get(object);
}

function defaultMethods(object: object): string[] {
  const proto = Object.getPrototypeOf(object) as object | null;
  const plain = proto === Object.prototype || proto === null;
  const names: string[] = [];
  // A plain object's methods are its own functions; a class instance's are its prototypes' (as Cap'n Web's).
  for (let at: object | null = plain ? object : proto; at !== null && at !== Object.prototype; ) {
    for (const name of Object.getOwnPropertyNames(at))
      if (!name.startsWith('_') && name !== 'release' && !names.includes(name) && findMethod(object, name))
        names.push(name);
    at = plain ? null : (Object.getPrototypeOf(at) as object | null);
  }
  return names;
}

/** What every stub has beside its methods: a release, also as `using`. */
export interface StubHandle extends Disposable {
  /** Tells the peer it may drop the reference; later calls reject with RPC_RELEASED. Harmless when repeated. */
  release(): void;
}

/**
 * A peer's function: calling it calls the function over the connection and resolves with its result.
 *
 * @typeParam F - the function's own type, as the peer that owns it sees it
 */
export type Stub<F extends (...args: never[]) => unknown> = ((
  ...args: Parameters<F>
) => Promise<Awaited<ReturnType<F>>>) &
  StubHandle & {
    /** Absent at run time: the function type the stub stands for. */
    readonly [stubOf]?: F;
  };

/** A peer's target object: each of T's methods, resolving with its result. */
export type RemoteTarget<T> = {
  readonly [K in keyof T as K extends `_${string}` | 'release'
    ? never
    : T[K] extends (...args: never[]) => unknown
      ? K
      : never]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
} & StubHandle & {
    /** Absent at run time: the object type the stub stands for. */
    readonly [stubOf]?: T;
  };
