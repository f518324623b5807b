import { CancelError, errorFactory, ProtocolError, TransportError, UsageError, type ErrorTable } from '@rpc/loop';

/** The codes of `@rpc/msg`. */
export const MSG_ERRORS = {
  /** The peer declared a message over maxPacketSize (`data.declaredLength`); the connection is closed. */
  MSG_FRAME_TOO_LARGE: ProtocolError,
  /**
   * A connection from `proxyProtocol.from` did not begin with a valid PROXY header (none, malformed, or over its size
   * limit); the connection is closed.
   */
  MSG_PROXY_HEADER_INVALID: ProtocolError,
  /** Sending on a connection that is closed or closing; starting a server that was closed. */
  MSG_CLOSED: TransportError,
  /** sendLater past maxQueueBytes: the peer is not reading. */
  MSG_QUEUE_FULL: TransportError,
  /** The peer read nothing of a send queue past half full for sendTimeoutMs; the connection is closed. */
  MSG_SEND_TIMEOUT: TransportError,
  /** A message took longer than messageTimeoutMs to arrive once begun; the connection is closed. */
  MSG_MESSAGE_TIMEOUT: TransportError,
  /** Nothing either way for idleTimeoutMs; the connection is closed. */
  MSG_IDLE_TIMEOUT: TransportError,
  /**
   * The server's memory for queued and partial messages (maxBufferedBytes) is spent: sendLater refuses, or a partial
   * message that would pass it closes its connection.
   */
  MSG_SERVER_BUSY: TransportError,
  /**
   * A connection not from `proxyProtocol.from` began with a PROXY header, which would pass off a client address of its
   * choosing: it is closed (`data.address`: the socket's).
   */
  MSG_PROXY_REFUSED: TransportError,
  /** A connection from `proxyProtocol.from` sent no whole PROXY header within messageTimeoutMs; it is closed. */
  MSG_PROXY_HEADER_TIMEOUT: TransportError,
  /** Past maxConnections or maxConnectionsPerAddress: the new connection is closed at once. */
  MSG_TOO_MANY_CONNECTIONS: TransportError,
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

/** A code of {@link MSG_ERRORS}, as `error.code` carries it. */
export type MsgErrorCode = keyof typeof MSG_ERRORS;

/** Makes the errors of `@rpc/msg`. */
export const msgError = errorFactory(MSG_ERRORS);
