import { formatError, isCodecError } from './errors.js';

/** What V8 (a RangeError) and Node's TextDecoder (an Error) throw for a string, array or buffer too large to make. */
const TOO_BIG =
  /^(Invalid (string|array|typed array) length|Array buffer allocation failed|Cannot create a string longer)/;

/**
 * Runs a decoder so that only the codec errors leave it: a library's own errors
 * become CODEC_MALFORMED, exhausting the stack (a library that recurses
 * on nesting) becomes CODEC_TOO_DEEP, and a value too large for V8 CODEC_TOO_LARGE.
 */
export function decodeSafely<T>(format: string, maxDepth: number, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (isCodecError(error)) throw error;
    if (error instanceof RangeError && /call stack/.test(error.message)) {
      throw formatError('CODEC_TOO_DEEP', format, `nesting deeper than ${maxDepth}`, { cause: error });
    }
    if (error instanceof Error && TOO_BIG.test(error.message))
      throw formatError('CODEC_TOO_LARGE', format, `more than JavaScript can hold: ${error.message}`, { cause: error });
    throw formatError('CODEC_MALFORMED', format, error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
}
