import { errorFactory, ProtocolError, RpcError, UsageError, type ErrorTable } from '@rpc/loop';

/** The codes of `@rpc/codec` and the codec packages. */
export const CODEC_ERRORS = {
  /** Bytes that do not decode (`data.format`, and `data.offset` where the decoder can tell). */
  CODEC_MALFORMED: ProtocolError,
  /** Bytes nesting deeper than maxDepth. */
  CODEC_TOO_DEEP: ProtocolError,
  /**
   * A message whose decoded value would take more heap than maxHeapBytes (`data.heapBytes`, the estimate, and
   * `data.maxHeapBytes`), or a JSON text longer than the longest string JavaScript can hold.
   */
  CODEC_TOO_LARGE: ProtocolError,
  /** A value the format cannot carry: a cycle, a function, nesting past maxDepth. */
  CODEC_UNENCODABLE: UsageError,
  /** A codec option out of range. */
  CODEC_INVALID_OPTION: UsageError,
  /** Client and server share no message format. */
  NEG_NO_COMMON_FORMAT: ProtocolError,
  /** The server refused the format the client chose. */
  NEG_REJECTED: ProtocolError,
  /** The peer did not negotiate, and the Storable fallback is not allowed. */
  NEG_NOT_NEGOTIATING: ProtocolError,
  /** Something other than a negotiation message arrived during negotiation. */
  NEG_UNEXPECTED: ProtocolError,
} as const satisfies ErrorTable;

/** A code of {@link CODEC_ERRORS}, as `error.code` carries it. */
export type CodecErrorCode = keyof typeof CODEC_ERRORS;

/** Makes the errors of `@rpc/codec` and the codec packages. */
export const codecError = errorFactory(CODEC_ERRORS);

/**
 * A codec's error about a message in `format` (its wire name), with the byte
 * `offset` where the decoder found the problem when it can tell:
 * `CBOR: nesting deeper than 512 (at byte 40)`.
 */
export function formatError<C extends CodecErrorCode>(
  code: C,
  format: string,
  message: string,
  options?: { readonly offset?: number; readonly cause?: unknown },
) {
  const offset = options?.offset;
  return codecError(code, `${format}: ${message}${offset === undefined ? '' : ` (at byte ${offset})`}`, {
    cause: options?.cause,
    data: { format, offset },
  });
}

/** Whether `error` is one of this package's errors (a decoder lets only these out). */
export function isCodecError(error: unknown): error is RpcError {
  return error instanceof RpcError && Object.hasOwn(CODEC_ERRORS, error.code);
}
