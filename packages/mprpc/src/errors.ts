import { RpcError } from '@rpc/loop';

/** Codes of {@link MprpcError}. */
export type MprpcErrorCode =
  | 'MPRPC_REMOTE'
  | 'MPRPC_DISCONNECTED'
  | 'MPRPC_NOT_CONNECTED'
  | 'MPRPC_TOO_MANY_CALLS'
  | 'MPRPC_ALREADY_ANSWERED'
  | 'MPRPC_BAD_MESSAGE'
  | 'MPRPC_INVALID_OPTION';

/**
 * A MessagePack-RPC call that failed. MPRPC_REMOTE: the peer answered with
 * an error, kept as it came in `data` (neovim sends `[type, message]`); the
 * others are ours: not connected, disconnected with the call in flight, too
 * many calls in flight, a second answer to one request, a message that is
 * not MessagePack-RPC, a bad option.
 */
export class MprpcError extends RpcError {
  override readonly name = 'MprpcError';
  declare readonly code: MprpcErrorCode;
  /** MPRPC_REMOTE: the error object the peer sent. */
  readonly data: unknown;

  constructor(code: MprpcErrorCode, message: string, options?: { data?: unknown; cause?: unknown }) {
    super(code, message, options);
    this.data = options?.data;
  }

  /** A remote error with a message read from what the peer sent: a string, `[type, message]`, or `{ message }`. */
  static remote(data: unknown): MprpcError {
    return new MprpcError('MPRPC_REMOTE', remoteText(data), { data });
  }
}

function remoteText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (Array.isArray(data) && typeof data[1] === 'string') return data[1];
  if (data !== null && typeof data === 'object' && typeof (data as { message?: unknown }).message === 'string') return (data as { message: string }).message;
  return `remote error ${JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`;
}
