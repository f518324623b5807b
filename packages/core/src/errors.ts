import { RpcError } from '@rpc/loop';

/** An exception raised by the remote method, or the server's refusal of a call; `message` is the server's text. */
export class RemoteError extends RpcError {
  override readonly name = 'RemoteError';
  declare readonly code: 'RPC_REMOTE';

  constructor(message: string) {
    super('RPC_REMOTE', message);
  }
}

/** Codes of {@link ProtocolError}. */
export type ProtocolErrorCode = 'RPC_BAD_ANSWER' | 'RPC_VERSION';

/** The peer broke the Event::RPC protocol: an answer or request of the wrong shape, an unsupported version. */
export class ProtocolError extends RpcError {
  override readonly name = 'ProtocolError';
  declare readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Codes of {@link CallError}. */
export type CallErrorCode = 'RPC_NOT_CONNECTED' | 'RPC_DISCONNECTED' | 'RPC_CANCELLED' | 'RPC_DEADLINE' | 'RPC_RELEASED' | 'RPC_UNKNOWN_CLASS' | 'RPC_INVALID_OPTION' | 'RPC_STARTED';

/** A call or setting the local program cannot make: not connected, cancelled, past its deadline, a released proxy, a bad option. */
export class CallError extends RpcError {
  override readonly name = 'CallError';
  declare readonly code: CallErrorCode;

  constructor(code: CallErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
