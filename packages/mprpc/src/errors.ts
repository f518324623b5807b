import { rpcError, type RpcErrorCode } from '@rpc/core';
import { errorFactory, ProtocolError, UsageError, type ErrorTable } from '@rpc/loop';

/**
 * The codes of @rpc/mprpc: what only MessagePack-RPC has. What every
 * protocol shares (the peer's error, disconnects, deadlines, cancellation,
 * too many calls) uses @rpc/core's RPC_* codes.
 */
export const MPRPC_ERRORS = {
  /** A second answer to one request. */
  MPRPC_ALREADY_ANSWERED: UsageError,
  /** A handler threw on a notification: nobody can be answered, so the server or client reports it. */
  MPRPC_HANDLER_FAILED: UsageError,
  /** A limit that is not a positive whole number. */
  MPRPC_INVALID_OPTION: UsageError,
  /** An event listener threw (its `cause`); reported by the `error` event, and the server or client went on. */
  MPRPC_LISTENER_FAILED: UsageError,
  /** A message that is not MessagePack-RPC (request, response or notification); the connection is closed. */
  MPRPC_BAD_MESSAGE: ProtocolError,
  /** Bytes that start no MessagePack value; the connection is closed. */
  MPRPC_MALFORMED: ProtocolError,
  /** A value whose headers declare more than maxMessageSize; the connection is closed. */
  MPRPC_MESSAGE_TOO_LARGE: ProtocolError,
} as const satisfies ErrorTable;

/** The `code` of an error of {@link MPRPC_ERRORS}. */
export type MprpcErrorCode = keyof typeof MPRPC_ERRORS;

/** Makes the errors of @rpc/mprpc. */
export const mprpcError = errorFactory(MPRPC_ERRORS);

/**
 * An error the server answers with on its own (a limit, a shutdown, an answer that could not be sent): MessagePack-RPC
 * lets the error be any value, so it carries the code for programs and the message for people; our client reads the
 * message, as it does neovim's.
 */
export function wireError(code: RpcErrorCode, message: string): { code: RpcErrorCode; message: string } {
  return { code, message };
}

/** The peer's error (RPC_REMOTE), kept as it came in `data`, with a message read from it. */
export function remoteError(data: unknown) {
  return rpcError('RPC_REMOTE', remoteText(data), { data });
}

/** A string, neovim's `[type, message]`, or `{ message }`; anything else as JSON. */
function remoteText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (Array.isArray(data) && typeof data[1] === 'string') return data[1];
  const message = data !== null && typeof data === 'object' ? (data as { message?: unknown }).message : undefined;
  if (typeof message === 'string') return message;
  return `remote error ${JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`;
}
