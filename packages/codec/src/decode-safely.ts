import { formatError, isCodecError } from './errors.js';

/**
 * Runs a decoder so that only the codec errors leave it: a library's own errors
 * become CODEC_MALFORMED, and exhausting the stack (a library that recurses
 * on nesting) becomes CODEC_TOO_DEEP.
 */
export function decodeSafely<T>(format: string, maxDepth: number, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (isCodecError(error)) throw error;
    if (error instanceof RangeError && /call stack/.test(error.message)) {
      throw formatError('CODEC_TOO_DEEP', format, `nesting deeper than ${maxDepth}`, { cause: error });
    }
    throw formatError('CODEC_MALFORMED', format, error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
}
