import { formatError } from '@rpc/codec';

/** The wire name Event::RPC gives Sereal. */
export const SEREAL_FORMAT = 'SERL';

// Every error of this package is made here, so that codes and wording stay in one place.

/** Bytes that are not a Sereal document we accept; `offset` is the byte in the whole input. */
export function malformed(message: string, offset?: number) {
  return formatError('CODEC_MALFORMED', SEREAL_FORMAT, message, { offset });
}

export function tooDeep(maxDepth: number, offset?: number) {
  return formatError('CODEC_TOO_DEEP', SEREAL_FORMAT, `nesting deeper than ${maxDepth}`, { offset });
}

/** A value Sereal (or Perl) cannot carry. */
export function unencodable(message: string, cause?: unknown) {
  return formatError('CODEC_UNENCODABLE', SEREAL_FORMAT, message, cause === undefined ? undefined : { cause });
}
