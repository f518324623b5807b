import {
  type Codec,
  type CodecOptions,
  decodeSafely,
  DEFAULT_MAX_DEPTH,
  isCodecError,
  maxHeapBytesOf,
} from '@rpc/codec';
import { SEREAL_FORMAT, unencodable } from './errors.js';
import { decodeSereal, WORST_PER_BYTE } from './reader.js';
import { SerealWriter } from './writer.js';

/**
 * Sereal as Event::RPC's Event::RPC::Message::Sereal speaks it
 * (`Sereal::Encoder->new` and `Sereal::Decoder->new`, default options):
 * wire name `SERL`. Reads protocol versions 1 to 5 (uncompressed), writes
 * protocol 5 as Sereal::Encoder 5.003 does. Byte strings read as latin-1
 * text; blessed references are TaggedValue (see objects.ts); integers beyond
 * 2^53 are BigInt. Encoded documents are views of a buffer this codec reuses.
 */
export function serealCodec(options: CodecOptions = {}): Codec {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxHeapBytes = maxHeapBytesOf(options, SEREAL_FORMAT);
  const writer = new SerealWriter(maxDepth);
  return {
    name: SEREAL_FORMAT,
    insecure: false,
    encode(value: unknown): Uint8Array {
      try {
        return writer.encode(value);
      } catch (error) {
        if (isCodecError(error)) throw error;
        throw unencodable(error instanceof Error ? error.message : String(error), error);
      }
    },
    decode(bytes: Uint8Array): unknown {
      // The reader prices each value as it builds it; a message whose worst case fits cannot pass, and is not priced.
      const limit = bytes.length * WORST_PER_BYTE <= maxHeapBytes ? Number.POSITIVE_INFINITY : maxHeapBytes;
      return decodeSafely(SEREAL_FORMAT, maxDepth, () => decodeSereal(bytes, maxDepth, limit));
    },
  };
}
