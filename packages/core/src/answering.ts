import type { Answer } from './protocol.js';

/** An answer now, or later when the method is async. */
export type Answering = Answer | Promise<Answer>;

/** A refusal, worded as Event::RPC words its errors. */
export const fail = (msg: string): Answer => ({ ok: 0, msg });

/** The text of whatever was thrown. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : String(error);
}

/** Whether `value` is a promise or any other thenable. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * `next(value)` now for a plain value, or once a promise resolves; a rejection or a throw in `next` becomes a failed
 * answer.
 */
export function then(value: unknown, next: (value: unknown) => Answering): Answering {
  if (!isThenable(value)) return next(value);
  return settle(Promise.resolve(value).then(next));
}

/** A promised answer that cannot reject: errors become Event::RPC's `{ ok: 0, msg }`. */
export function settle(answer: Answering): Answering {
  return answer instanceof Promise ? answer.catch((error: unknown) => fail(errorText(error))) : answer;
}
