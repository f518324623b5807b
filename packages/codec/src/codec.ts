/**
 * A message format: how one message's value becomes bytes and back.
 *
 * Values are plain data: null, booleans, numbers, BigInt (integers beyond
 * 2^53), strings, Uint8Array, Date, arrays, plain objects with string keys,
 * and {@link TaggedValue}. Decoders treat bytes as hostile: they return plain
 * objects in which `__proto__` and `constructor` are ordinary keys, refuse
 * nesting deeper than `maxDepth` and values larger than `maxHeapBytes`, and
 * throw only the codec errors (CODEC_*).
 */
export interface Codec {
  /** The name used in negotiation: 'JSON', 'CBOR', 'MSGP'. */
  readonly name: string;
  /**
   * A format whose decoder can be made to build arbitrary objects or run code (Storable-style): offered only with
   * insecureFormatsOk.
   */
  readonly insecure: boolean;
  /** One message's bytes for `value`. */
  encode(value: unknown): Uint8Array;
  /** The value of one message's bytes; throws a codec error (CODEC_*) on bytes it will not decode. */
  decode(bytes: Uint8Array): unknown;
}

/** The limits every codec's decoder takes. */
export interface CodecOptions {
  /** Deepest nesting of arrays, maps and tags a decoder accepts (default 512, as JSON::XS and CBOR::XS). */
  readonly maxDepth?: number;
  /**
   * The largest heap, in bytes, a decoded message may take, estimated before decoding (default 64 MiB): a larger one
   * is refused with CODEC_TOO_LARGE before its value is built. A message so small that its worst case fits is never
   * refused and never scanned, so the check costs nothing on the small messages of most calls.
   */
  readonly maxHeapBytes?: number;
}

/** The nesting a decoder accepts unless told otherwise: 512 levels, as JSON::XS and CBOR::XS. */
export const DEFAULT_MAX_DEPTH = 512;

/**
 * Four times the default maxPacketSize of `@rpc/msg` (16 MiB): a string or binary up to that size always decodes, and
 * structured data averaging up to four heap bytes per wire byte; a few such messages at once stay far below V8's
 * default heap limit (2 to 4 GiB on 64-bit machines).
 */
export const DEFAULT_MAX_HEAP_BYTES = 64 * 1024 * 1024;
