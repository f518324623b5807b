import { RpcError } from '@rpc/loop';

/** Codes of {@link CodecError}. */
export type CodecErrorCode = 'CODEC_MALFORMED' | 'CODEC_TOO_DEEP' | 'CODEC_UNENCODABLE' | 'CODEC_INVALID_OPTION';

/**
 * Bytes that do not decode (a peer's fault), or a value that cannot be
 * encoded (ours). `format` is the wire name; `offset` the byte where the
 * problem was found, when the decoder can tell.
 */
export class CodecError extends RpcError {
  override readonly name = 'CodecError';
  declare readonly code: CodecErrorCode;
  readonly format: string;
  readonly offset: number | undefined;

  constructor(code: CodecErrorCode, format: string, message: string, options?: { offset?: number; cause?: unknown }) {
    super(code, `${format}: ${message}${options?.offset === undefined ? '' : ` (at byte ${options.offset})`}`, options);
    this.format = format;
    this.offset = options?.offset;
  }
}

/** Codes of {@link NegotiationError}. */
export type NegotiationErrorCode =
  | 'NEG_NO_COMMON_FORMAT'
  | 'NEG_REJECTED'
  | 'NEG_NOT_NEGOTIATING'
  | 'NEG_UNEXPECTED';

/** Client and server could not agree on a message format. */
export class NegotiationError extends RpcError {
  override readonly name = 'NegotiationError';
  declare readonly code: NegotiationErrorCode;

  constructor(code: NegotiationErrorCode, message: string) {
    super(code, message);
  }
}
