import { CodecError } from './errors.js';

/**
 * Runs a decoder so that only CodecError leaves it: a library's own errors
 * become CODEC_MALFORMED, and exhausting the stack (a library that recurses
 * on nesting) becomes CODEC_TOO_DEEP.
 */
export function decodeSafely<T>(format: string, maxDepth: number, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof CodecError) throw error;
    if (error instanceof RangeError && /call stack/.test(error.message)) {
      throw new CodecError('CODEC_TOO_DEEP', format, `nesting deeper than ${maxDepth}`, { cause: error });
    }
    throw new CodecError('CODEC_MALFORMED', format, error instanceof Error ? error.message : String(error), { cause: error });
  }
}
