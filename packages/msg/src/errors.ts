import { RpcError } from '@rpc/loop';

/** Codes of {@link FrameError}. */
export type FrameErrorCode = 'MSG_FRAME_TOO_LARGE';

/** The peer sent bytes that break the framing rules; the connection is closed. */
export class FrameError extends RpcError {
  override readonly name = 'FrameError';
  declare readonly code: FrameErrorCode;
  /** The length the peer declared. */
  readonly declaredLength: number;

  constructor(code: FrameErrorCode, message: string, declaredLength: number) {
    super(code, message);
    this.declaredLength = declaredLength;
  }
}

/** Codes of {@link ConnectionError}. */
export type ConnectionErrorCode =
  | 'MSG_CLOSED'
  | 'MSG_MESSAGE_TOO_LARGE'
  | 'MSG_QUEUE_FULL'
  | 'MSG_HANDLER_FAILED'
  | 'MSG_LOGIN_FAILED'
  | 'MSG_INVALID_OPTION'
  | 'MSG_ABORTED';

/** Local use of a Connection or Server that cannot be honoured: it is closed, a limit would be passed, an option is wrong; or an eventLoop() wait that was aborted. */
export class ConnectionError extends RpcError {
  override readonly name = 'ConnectionError';
  declare readonly code: ConnectionErrorCode;

  constructor(code: ConnectionErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
