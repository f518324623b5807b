import { CancelError, errorFactory, ProtocolError, TransportError, UsageError, type ErrorTable } from '@rpc/loop';

/** The codes of @rpc/msg. */
export const MSG_ERRORS = {
  /** The peer declared a message over maxPacketSize (`data.declaredLength`); the connection is closed. */
  MSG_FRAME_TOO_LARGE: ProtocolError,
  /** Sending on a connection that is closed or closing; starting a server that was closed. */
  MSG_CLOSED: TransportError,
  /** sendLater past maxQueueBytes: the peer is not reading. */
  MSG_QUEUE_FULL: TransportError,
  /** Sending more than maxPacketSize. */
  MSG_MESSAGE_TOO_LARGE: UsageError,
  /** A message handler threw (its `cause`); its connection is closed. */
  MSG_HANDLER_FAILED: UsageError,
  /** login threw (its `cause`); the connection is closed. */
  MSG_LOGIN_FAILED: UsageError,
  /** An option out of range. */
  MSG_INVALID_OPTION: UsageError,
  /** Asking a server for its address before start() resolved. */
  MSG_NOT_STARTED: UsageError,
  /** eventLoop's signal aborted. */
  MSG_ABORTED: CancelError,
} as const satisfies ErrorTable;

export type MsgErrorCode = keyof typeof MSG_ERRORS;

/** Makes the errors of @rpc/msg. */
export const msgError = errorFactory(MSG_ERRORS);
