/**
 * A message format: how one message's value becomes bytes and back.
 *
 * Values are plain data: null, booleans, numbers, BigInt (integers beyond
 * 2^53), strings, Uint8Array, Date, arrays, plain objects with string keys,
 * and {@link TaggedValue}. Decoders treat bytes as hostile: they return plain
 * objects in which `__proto__` and `constructor` are ordinary keys, refuse
 * nesting deeper than `maxDepth`, and throw only the codec errors (CODEC_*).
 */
export interface Codec {
  /** The name used in negotiation: 'JSON', 'CBOR', 'MSGP'. */
  readonly name: string;
  /**
   * A format whose decoder can be made to build arbitrary objects or run code (Storable-style): offered only with
   * insecureFormatsOk.
   */
  readonly insecure: boolean;
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

export interface CodecOptions {
  /** Deepest nesting of arrays, maps and tags a decoder accepts (default 512, as JSON::XS and CBOR::XS). */
  readonly maxDepth?: number;
}

export const DEFAULT_MAX_DEPTH = 512;
