import {
  CancelError,
  errorFactory,
  ProtocolError,
  RemoteError,
  TransportError,
  UsageError,
  type ErrorTable,
} from '@rpc/loop';

/**
 * The codes of `@rpc/core` and the packages built on it: the calls every
 * protocol makes (pending calls, cancellation, deadlines) and Event::RPC's
 * own.
 */
export const RPC_ERRORS = {
  /** The peer's answer was an error (its text is the message). */
  RPC_REMOTE: RemoteError,
  /** An answer that does not decode or is not of the protocol's shape. */
  RPC_BAD_ANSWER: ProtocolError,
  /** The server speaks an Event::RPC protocol older than 1.00. */
  RPC_VERSION: ProtocolError,
  /** The connection went while the call waited for its answer. */
  RPC_DISCONNECTED: TransportError,
  /**
   * A call on an object of a connection that has ended (the server drained or the connection dropped, and the client
   * connected again): the object lived on that server; the application makes it anew.
   */
  RPC_OBJECT_LOST: TransportError,
  /** The call's AbortSignal aborted (the cause is the signal's reason). */
  RPC_CANCELLED: CancelError,
  /** No answer within the call's deadline. */
  RPC_DEADLINE: CancelError,
  /** Calling before connect() or after close(). */
  RPC_NOT_CONNECTED: UsageError,
  /** More calls waiting for answers than the limit allows. */
  RPC_TOO_MANY_CALLS: UsageError,
  /** Using a proxy after release(). */
  RPC_RELEASED: UsageError,
  /** remoteClass() of a class the server does not export. */
  RPC_UNKNOWN_CLASS: UsageError,
  /** Calling a method the server does not export for the object's class. */
  RPC_UNKNOWN_METHOD: UsageError,
  /** A bad option, or a class map that does not fit its class. */
  RPC_INVALID_OPTION: UsageError,
  /** Changing a server option after start(). */
  RPC_STARTED: UsageError,
  /** Starting a server or connecting a client that was closed. */
  RPC_CLOSED: UsageError,
  /** The server closed with the call still running, past its shutdownTimeoutMs; the call's signal aborted too. */
  RPC_SHUTDOWN: TransportError,
  /** A request that is not of the protocol's shape (a server counts it; the client is answered with the text). */
  RPC_BAD_REQUEST: ProtocolError,
  /** A connection went past a per-connection limit of the server (calls in flight, queued requests, objects). */
  RPC_LIMIT: ProtocolError,
  /** A connection sent more malformed requests than the server allows; it was closed. */
  RPC_PROTOCOL_ERRORS: ProtocolError,
  /** Negotiation and login took longer than the server's loginTimeoutMs; the connection was closed. */
  RPC_LOGIN_TIMEOUT: TransportError,
  /** An answer could not be sent (its connection's queue is full, or the codec cannot carry it). */
  RPC_ANSWER_FAILED: TransportError,
} as const satisfies ErrorTable;

/** The `code` of an error of {@link RPC_ERRORS}. */
export type RpcErrorCode = keyof typeof RPC_ERRORS;

/** Makes the errors of `@rpc/core`, `@rpc/server` and `@rpc/client`. */
export const rpcError = errorFactory(RPC_ERRORS);

/** What was thrown, as text, whatever it is (String() itself throws for some objects). */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  try {
    return String(thrown);
  } catch {
    return typeof thrown;
  }
}
