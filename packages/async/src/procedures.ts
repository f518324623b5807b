import type { Caller } from './caller.js';

/**
 * The procedures a server offers, as an interface of functions says them:
 * each one's parameters are what the client passes, its return type the
 * list of values the procedure returns (RPC::Async returns a list):
 * `interface Api { add_numbers(args: { n1: number; n2: number }): [{ sum: number }] }`.
 */
export type Procedures<T> = { readonly [K in keyof T]: (...args: never[]) => readonly unknown[] };

/** What nothing is known about: any procedure, any arguments, any values. */
export type Untyped = Record<string, (...args: unknown[]) => unknown[]>;

/** A procedure's arguments. */
export type ArgsOf<F> = F extends (...args: infer A) => unknown ? A : never;

/** The values a procedure returns. */
export type ValuesOf<F> = F extends (...args: never[]) => infer V ? (V extends readonly unknown[] ? V : never) : never;

/** The names of `T`'s procedures. */
export type ProcedureName<T> = keyof T & string;

/**
 * A procedure as the server runs it (RPC::Async's rpc_NAME): it answers
 * through `server.return(caller, ...values)`, once, now or later; its own
 * return value is ignored, and a throw disconnects the client.
 *
 * @typeParam F - the procedure's signature in the `Api` interface, from which its arguments and values are typed.
 */
export type Procedure<F = (...args: unknown[]) => unknown[]> = (
  caller: Caller<ValuesOf<F>>,
  ...args: ArgsOf<F>
) => void;

/** An implementation of every procedure of `T`. */
export type ProcedureMap<T> = { readonly [K in ProcedureName<T>]: Procedure<T[K]> };
