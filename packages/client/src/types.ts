import type { ReturnList } from '@rpc/core';

type Fn = (...args: never[]) => unknown;

/** The method names of T. */
export type MethodKeys<T> = { [K in keyof T]: T[K] extends Fn ? K : never }[keyof T] & string;

/** A proxy's own members, beside the remote methods. */
export interface RemoteHandle extends Disposable, AsyncDisposable {
  /** The object id, `Class=...`. */
  readonly oid: string;
  readonly className: string;
  /** Tells the server it may free the object (client_destroy). Later calls fail with RPC_RELEASED. */
  release(): Promise<void>;
}

/** What a remote method resolves to: objects with methods become proxies, also inside arrays; several return values (returnList) an array; plain data stays as it is. */
export type RemoteValue<R> = R extends Fn
  ? never
  : R extends ReturnList<infer L>
    ? { -readonly [I in keyof L]: RemoteValue<L[I]> }
  : R extends readonly (infer E)[]
    ? RemoteValue<E>[]
    : R extends object
      ? [MethodKeys<R>] extends [never]
        ? { [K in keyof R]: RemoteValue<R[K]> }
        : RemoteObject<R>
      : R;

/** Parameters may be given as proxies where the class expects its objects. */
export type RemoteArgs<A extends readonly unknown[]> = { [I in keyof A]: A[I] extends object ? A[I] | RemoteObject<A[I]> : A[I] };

declare const remoteClass: unique symbol;

/** The local class a remote object stands for; a type-level mark only, never present at run time. */
export interface RemoteOf<T> {
  readonly [remoteClass]?: T;
}

/** A remote object: each method of T, returning a Promise. */
export type RemoteObject<T> = {
  readonly [K in MethodKeys<T>]: T[K] extends (...args: infer A) => infer R ? (...args: RemoteArgs<A>) => Promise<RemoteValue<Awaited<R>>> : never;
} & RemoteHandle &
  RemoteOf<T>;

/** Every value a method returned, as the array Perl's list context sees: `returnList(...)` as its values, anything else as one. */
export type RemoteList<R> = R extends ReturnList<infer L> ? { -readonly [I in keyof L]: RemoteValue<L[I]> } : [RemoteValue<R>];

/** A remote object whose methods resolve with every value returned (`withCallOptions(obj, { list: true })`). */
export type RemoteListObject<T> = {
  readonly [K in MethodKeys<T>]: T[K] extends (...args: infer A) => infer R ? (...args: RemoteArgs<A>) => Promise<RemoteList<Awaited<R>>> : never;
} & RemoteHandle &
  RemoteOf<T>;

/**
 * A remote class: `new` with arguments A, and the other constructors and
 * singletons named in S (`remoteClass<Test, [{ data: string }], 'singleton'>`), all returning proxies.
 */
export type RemoteClass<T, A extends unknown[] = unknown[], S extends string = never> = {
  readonly new: (...args: A) => Promise<RemoteObject<T>>;
} & { readonly [K in S]: (...args: unknown[]) => Promise<RemoteObject<T>> };
