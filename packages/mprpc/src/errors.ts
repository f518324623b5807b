import { errorFactory, ProtocolError, RemoteError, TransportError, UsageError, type ErrorTable } from '@rpc/loop';

/** The codes of @rpc/mprpc. */
export const MPRPC_ERRORS = {
  /** The peer answered with an error, kept as it came in `data` (neovim sends `[type, message]`). */
  MPRPC_REMOTE: RemoteError,
  /** The connection went, or no answer came within the deadline, with the call in flight. */
  MPRPC_DISCONNECTED: TransportError,
  /** Calling without a connection. */
  MPRPC_NOT_CONNECTED: UsageError,
  /** More of our calls in flight than maxCalls. */
  MPRPC_TOO_MANY_CALLS: UsageError,
  /** A second answer to one request. */
  MPRPC_ALREADY_ANSWERED: UsageError,
  /** A bad option. */
  MPRPC_INVALID_OPTION: UsageError,
  /** A message that is not MessagePack-RPC (request, response or notification); the connection is closed. */
  MPRPC_BAD_MESSAGE: ProtocolError,
  /** Bytes that start no MessagePack value. */
  MPRPC_MALFORMED: ProtocolError,
  /** A value whose headers declare more than maxMessageSize. */
  MPRPC_MESSAGE_TOO_LARGE: ProtocolError,
} as const satisfies ErrorTable;

export type MprpcErrorCode = keyof typeof MPRPC_ERRORS;

/** Makes the errors of @rpc/mprpc. */
export const mprpcError = errorFactory(MPRPC_ERRORS);

/** The peer's error, with a message read from what it sent: a string, `[type, message]`, or `{ message }`. */
export function remoteError(data: unknown) {
  return mprpcError('MPRPC_REMOTE', remoteText(data), { data });
}

function remoteText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (Array.isArray(data) && typeof data[1] === 'string') return data[1];
  if (data !== null && typeof data === 'object' && typeof (data as { message?: unknown }).message === 'string') return (data as { message: string }).message;
  return `remote error ${JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`;
}
