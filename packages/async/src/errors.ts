import { errorFactory, ProtocolError, UsageError, type ErrorTable } from '@rpc/loop';

/**
 * The codes of `@rpc/async`: what only RPC::Async has. What every protocol
 * shares (the server's refusal, disconnects, deadlines, cancellation, too
 * many calls, a closed server, client or multiplexer) uses `@rpc/core`'s
 * RPC_* codes.
 */
export const ASYNC_ERRORS = {
  /** A second return() for one caller. */
  ASYNC_ALREADY_RETURNED: UsageError,
  /** A procedure threw on a call (its `cause`); that client is disconnected. */
  ASYNC_HANDLER_FAILED: UsageError,
  /** An event listener threw (its `cause`); reported by the `error` event, and the server went on. */
  ASYNC_LISTENER_FAILED: UsageError,
  /** A message that is not a procedure call (server) or a return (client); the connection is closed. */
  ASYNC_BAD_MESSAGE: ProtocolError,
} as const satisfies ErrorTable;

/** The `code` of an error of {@link ASYNC_ERRORS}. */
export type AsyncErrorCode = keyof typeof ASYNC_ERRORS;

/** Makes the errors of `@rpc/async`. */
export const asyncError = errorFactory(ASYNC_ERRORS);
