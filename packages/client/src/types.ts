import type { TaggedValue } from '@rpc/codec';
import type {
  ClassImpl,
  ExportedClassSpec,
  Fn,
  InstanceOf,
  MethodKeys,
  RemoteStream,
  RemoteTarget,
  ReturnList,
  Stub,
  Target,
} from '@rpc/core';

export type { Fn, MethodKeys };

/** A proxy's own members, beside the remote methods. */
export interface RemoteHandle extends Disposable, AsyncDisposable {
  /** The object id, `Class=...`. */
  readonly oid: string;
  /** The remote class's name, as the server exports it (the text of the id before `=`). */
  readonly className: string;
  /** Tells the server it may free the object (client_destroy). Later calls fail with RPC_RELEASED. */
  release(): Promise<void>;
}

/**
 * What a remote method resolves to, as the codecs deliver it: objects with
 * methods become proxies (also inside arrays and maps); several return
 * values (returnList) an array; a Date a Date (MessagePack, CBOR) or its
 * ISO string (JSON, Sereal); bytes a Uint8Array (MessagePack) or a latin-1
 * string (the Perl formats); a Map a plain map; a Set a list; a BigInt a
 * BigInt, or a number when it fits one exactly; undefined null.
 */
export type RemoteValue<R> = R extends Fn
  ? Stub<R>
  : R extends Target<infer U>
    ? RemoteTarget<U>
    : R extends ReturnList<infer L>
      ? { -readonly [I in keyof L]: RemoteValue<L[I]> }
      : R extends Date
        ? Date | string
        : R extends Uint8Array
          ? Uint8Array | string
          : R extends bigint
            ? bigint | number
            : R extends ReadonlyMap<unknown, infer V>
              ? Record<string, RemoteValue<V>>
              : R extends ReadonlySet<infer E>
                ? RemoteValue<E>[]
                : R extends readonly (infer E)[]
                  ? RemoteValue<E>[]
                  : R extends TaggedValue
                    ? TaggedValue
                    : R extends AsyncIterable<infer E>
                      ? RemoteStream<RemoteValue<E>>
                      : R extends object
                        ? [MethodKeys<R>] extends [never]
                          ? { [K in keyof R]: RemoteValue<R[K]> }
                          : RemoteObject<R>
                        : R extends undefined
                          ? null
                          : R;

/**
 * Every value a method returned, as the array Perl's list context sees: `returnList(...)` as its values, anything else
 * as one.
 */
export type RemoteList<R> =
  R extends ReturnList<infer L> ? { -readonly [I in keyof L]: RemoteValue<L[I]> } : [RemoteValue<R>];

/**
 * What a caller passes for parameters A: proxies (or pipelined promises of them) where the class expects its objects,
 * and local functions, targets and async iterables where it expects stubs and streams of the caller's.
 */
export type RemoteArgs<A extends readonly unknown[]> = {
  [I in keyof A]: A[I] extends Stub<infer F>
    ? ((...args: Parameters<F>) => ReturnType<F> | Promise<Awaited<ReturnType<F>>>) | A[I]
    : A[I] extends RemoteStream<infer E>
      ? AsyncIterable<E>
      : A[I] extends RemoteTarget<infer U>
        ? U extends object
          ? Target<U> | A[I]
          : A[I]
        : A[I] extends object
          ? A[I] | RemoteObject<A[I]> | (PromiseLike<RemoteOf<A[I]>> & Disposable)
          : A[I];
};

/**
 * What calling a remote method gives: a promise of its value. When the value is a remote object (a constructor's, an
 * object returner's), its methods can be called on the promise at once (pipelining: `notebook.copy('x').write('y')`
 * is one round trip), and `using` on the promise releases the object once it has arrived.
 */
export type RemotePromise<V> = Promise<V> &
  ([V] extends [RemoteHandle] ? Omit<V, keyof RemoteHandle | keyof RemoteOf<unknown>> & Disposable : unknown);

declare const remoteClass: unique symbol;

/** The local class a remote object stands for; a type-level mark only, never present at run time. */
export interface RemoteOf<T> {
  /** Absent at run time: it only carries T for the compiler. */
  readonly [remoteClass]?: T;
}

/** A remote object: each method of T named in K (all of them unless the method map is known), returning a Promise. */
export type RemoteObject<T, K extends MethodKeys<T> = MethodKeys<T>> = {
  readonly [P in K]: T[P] extends (...args: infer A) => infer R
    ? (...args: RemoteArgs<A>) => RemotePromise<RemoteValue<Awaited<R>>>
    : never;
} & RemoteHandle &
  RemoteOf<T>;

/** A remote object whose methods resolve with every value returned (`withCallOptions(obj, { list: true })`). */
export type RemoteListObject<T, K extends MethodKeys<T> = MethodKeys<T>> = {
  readonly [P in K]: T[P] extends (...args: infer A) => infer R
    ? (...args: RemoteArgs<A>) => Promise<RemoteList<Awaited<R>>>
    : never;
} & RemoteHandle &
  RemoteOf<T>;

/** The names in method map M whose kind is one of `Kinds`. */
export type KeysOfKind<M, Kinds> = { [K in keyof M]: M[K] extends Kinds ? K : never }[keyof M] & string;

/** What a constructor of the map takes: a static method's parameters, or the class constructor's for `new`. */
export type ConstructorArgs<C, K> = K extends keyof C
  ? C[K] extends (...args: infer A) => unknown
    ? A
    : never
  : C extends abstract new (
        ...args: infer A
      ) => unknown
    ? A
    : never;

/**
 * The remote class of an exported class spec: its constructors, returning proxies that offer exactly its exported
 * methods.
 */
export type RemoteClassOfSpec<C extends ClassImpl, M> = {
  readonly [K in KeysOfKind<M, '_constructor' | '_singleton'>]: (
    ...args: RemoteArgs<ConstructorArgs<C, K>>
  ) => RemotePromise<RemoteObject<InstanceOf<C>, KeysOfKind<M, 1 | '_object'> & MethodKeys<InstanceOf<C>>>>;
};

/**
 * A remote class. Given the type of an `exportClass(...)` spec, everything
 * follows from it: constructors, their arguments and the exported methods
 * (`remoteClass<typeof notebook>('Notebook')`). Given a class T instead:
 * `new` with arguments A, the other constructors and singletons named in S,
 * and all of T's methods (`remoteClass<Test, [{ data: string }], 'singleton'>`).
 */
export type RemoteClass<T, A extends unknown[] = unknown[], S extends string = never> =
  T extends ExportedClassSpec<infer C, infer M>
    ? RemoteClassOfSpec<C, M>
    : {
        /** Makes a remote object with the class's `new`, resolving with its proxy. */
        readonly new: (...args: A) => RemotePromise<RemoteObject<T>>;
      } & {
        readonly [K in S]: (...args: unknown[]) => RemotePromise<RemoteObject<T>>;
      };
