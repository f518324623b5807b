/**
 * The methods one side serves, as an interface of functions says them:
 * `interface Api { sum(a: number, b: number): number }`. Each method's
 * parameters are what a caller sends; its (awaited) return type is the result.
 */
export type Methods<T> = { readonly [K in keyof T]: (...params: never[]) => unknown };

/** What nothing is known about: any method, any parameters, an unknown result. */
export type Untyped = Record<string, (...params: unknown[]) => unknown>;

/** A method's parameters. */
export type ParamsOf<F> = F extends (...params: infer P) => unknown ? P : never;

/** A method's result, as the caller receives it. */
export type ResultOf<F> = F extends (...params: never[]) => infer R ? Awaited<R> : never;

/** The names of `T`'s methods. */
export type MethodName<T> = keyof T & string;

/** AnyEvent::MPRPC's result condvar: answer a request exactly once, with a result or an error. */
export interface MprpcResult<R = unknown> {
  /** Answers with `value`; a second answer throws MPRPC_ALREADY_ANSWERED. */
  result(value: R): void;
  /**
   * Answers with an error: an Error goes as its message (MessagePack cannot carry it), anything else as it is. A second
   * answer throws MPRPC_ALREADY_ANSWERED.
   */
  error(error: unknown): void;
  /**
   * Aborts when nobody waits for the answer any more: the connection went (RPC_DISCONNECTED), or the server closed
   * past its shutdownTimeoutMs (RPC_SHUTDOWN). An answer after that is dropped.
   */
  readonly signal: AbortSignal;
}

/**
 * A method as regCb takes it: `res` answers a request, and is undefined for
 * a notification (nothing is sent back). The return value is ignored; a
 * throw answers with the error's message.
 *
 * @typeParam F - the method's signature in the `Local` interface, from which its parameters and result are typed.
 */
export type MprpcHandler<F = (...params: unknown[]) => unknown> = (
  res: MprpcResult<ResultOf<F>> | undefined,
  ...params: ParamsOf<F>
) => void;

/** Handlers for some of `T`'s methods, each typed by its entry in `T`. */
export type Handlers<T> = { readonly [K in MethodName<T>]?: MprpcHandler<T[K]> };
