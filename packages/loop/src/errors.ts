/**
 * Errors shared by every @rpc package. Each error carries a stable string
 * `code`; packages define their own codes but build them through these
 * classes so that callers can tell the three kinds apart:
 *  - TransportError: the byte channel failed (refused, reset, TLS, ...);
 *  - UsageError: the local program misused an API (bad option, closed object);
 *  - errors a peer causes on the wire are defined by the layer that parses it.
 */
export abstract class RpcError extends Error {
  abstract override readonly name: string;
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Codes of {@link TransportError}. */
export type TransportErrorCode =
  | 'LOOP_ADDRESS_IN_USE'
  | 'LOOP_LISTEN_FAILED'
  | 'LOOP_CONNECTION_REFUSED'
  | 'LOOP_CONNECT_FAILED'
  | 'LOOP_CONNECT_TIMEOUT'
  | 'LOOP_ABORTED'
  | 'LOOP_TLS_FAILED'
  | 'LOOP_CONNECTION_RESET'
  | 'LOOP_CHANNEL_CLOSED'
  | 'LOOP_IO_FAILED';

/** A byte channel or listener failed. `reason` holds the platform's own code (ECONNRESET, CERT_HAS_EXPIRED, ...). */
export class TransportError extends RpcError {
  override readonly name = 'TransportError';
  declare readonly code: TransportErrorCode;
  readonly reason: string | undefined;

  constructor(code: TransportErrorCode, message: string, options?: { cause?: unknown; reason?: string }) {
    super(code, message, options);
    this.reason = options?.reason;
  }
}

/** Codes of {@link UsageError} raised by @rpc/loop and its adapters. */
export type LoopUsageErrorCode = 'LOOP_INVALID_ENDPOINT' | 'LOOP_INVALID_OPTION' | 'LOOP_UNSUPPORTED';

/** The local program used an API the wrong way; never caused by a peer. */
export class UsageError extends RpcError {
  override readonly name = 'UsageError';
}
