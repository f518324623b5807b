import { RpcError } from '@rpc/loop';
import { rpcError, type RpcErrorCode } from './errors.js';
import type { Answer } from './protocol.js';

/** An answer now, or later when the method is async. */
export type Answering = Answer | Promise<Answer>;

/** A refusal, worded as Event::RPC words its errors. */
export const fail = (msg: string): Answer => ({ ok: 0, msg });

/**
 * The codes a refusal carries (as `code`, which Perl clients ignore), so that an `@rpc` peer raises the same typed
 * error: the request went past a limit, was malformed, named a released reference, ran out of time, or met a
 * shutdown. Any other failure is the method's own, RPC_REMOTE.
 */
const ANSWER_CODES: ReadonlySet<string> = new Set<RpcErrorCode>([
  'RPC_LIMIT',
  'RPC_BAD_REQUEST',
  'RPC_RELEASED',
  'RPC_DEADLINE',
  'RPC_SHUTDOWN',
]);

/** The refusal for `error`: its text, and its code when it is one a peer should raise as such. */
export function failWith(error: unknown): Answer {
  const answer = fail(errorText(error));
  if (error instanceof RpcError && ANSWER_CODES.has(error.code)) answer.code = error.code;
  return answer;
}

/** The error a refusal raises: RPC_REMOTE, or the code it carries when that is one of the codes answers may carry. */
export function answerError(answer: Answer, otherwise: string): RpcError {
  const message = typeof answer.msg === 'string' ? answer.msg : otherwise;
  const code = typeof answer.code === 'string' && ANSWER_CODES.has(answer.code) ? answer.code : 'RPC_REMOTE';
  return rpcError(code as RpcErrorCode, message);
}

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
  return answer instanceof Promise ? answer.catch(failWith) : answer;
}
