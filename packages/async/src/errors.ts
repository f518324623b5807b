import { RpcError } from '@rpc/loop';

/** Codes of {@link AsyncError}. */
export type AsyncErrorCode =
  | 'ASYNC_ALREADY_RETURNED'
  | 'ASYNC_HANDLER_FAILED'
  | 'ASYNC_BAD_MESSAGE'
  | 'ASYNC_REMOTE'
  | 'ASYNC_DISCONNECTED'
  | 'ASYNC_CLOSED';

/**
 * Something went wrong with an asynchronous procedure call: a second
 * return for one caller, a procedure that threw (its client is
 * disconnected), a message that is not a call, the server's refusal
 * (ASYNC_REMOTE), the connection going with calls in flight, a closed
 * multiplexer.
 */
export class AsyncError extends RpcError {
  override readonly name = 'AsyncError';
  declare readonly code: AsyncErrorCode;

  constructor(code: AsyncErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
