import { errorFactory, ProtocolError, RemoteError, TransportError, UsageError, type ErrorTable } from '@rpc/loop';

/** The codes of @rpc/async. */
export const ASYNC_ERRORS = {
  /** A second return() for one caller. */
  ASYNC_ALREADY_RETURNED: UsageError,
  /** A procedure threw on a call (its `cause`); that client is disconnected. */
  ASYNC_HANDLER_FAILED: UsageError,
  /** A message that is not a procedure call or return; the connection is closed. */
  ASYNC_BAD_MESSAGE: ProtocolError,
  /** The server refused the call (no such procedure). */
  ASYNC_REMOTE: RemoteError,
  /** The connection went with calls outstanding, or calling without one. */
  ASYNC_DISCONNECTED: TransportError,
  /** Using a multiplexer after close(). */
  ASYNC_CLOSED: UsageError,
} as const satisfies ErrorTable;

export type AsyncErrorCode = keyof typeof ASYNC_ERRORS;

/** Makes the errors of @rpc/async. */
export const asyncError = errorFactory(ASYNC_ERRORS);
