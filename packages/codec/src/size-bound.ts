/**
 * A message at least this long should get a write buffer of its own, made to measure: msgpackr and cbor-x write
 * every message after the last one in a buffer shared by all their encoders, grow it for a large message to twice
 * what it needs (six times a string's length, as they want room for three bytes per character) and copy everything
 * from the message's start to the old buffer's end into the new one (16 MiB of stale bytes after a 16 MiB message).
 */
export const LARGE_MESSAGE = 1024 * 1024;

/**
 * How many messages after a large one are priced with sizeBound: pricing costs a small message about a third of its
 * encoding (85 of 270 ns), so only while large messages come (an upload, large calls) is it worth it. The first large
 * message of a run is written as the encoder likes, then moved out of its way.
 */
export const PRICED_AFTER_LARGE = 32;

/** How many values sizeBound looks at before giving up. */
const SIZED_VALUES = 64;

let valuesLeft = 0;
let knownSize: ((value: object) => number | undefined) | undefined;

/**
 * At least the bytes a binary format (MessagePack, CBOR: headers of up to 9 bytes) needs to write `value`, or -1 when
 * it has more than 64 values, or an object that is neither a plain object, an array, a byte array, nor one `known`
 * prices: what a large message's write buffer is made of. A string counts three bytes per character, the room
 * msgpackr and cbor-x want for it. Only ever an optimization: an encoder that needs more grows its buffer as usual.
 */
export function sizeBound(value: unknown, known?: (value: object) => number | undefined): number {
  valuesLeft = SIZED_VALUES;
  knownSize = known;
  try {
    return bound(value);
  } finally {
    knownSize = undefined;
  }
}

function bound(value: unknown): number {
  if (--valuesLeft < 0) return -1;
  if (typeof value === 'string') return 9 + 3 * value.length;
  if (value === null || typeof value !== 'object') return 9; // nil, booleans, numbers, 64-bit integers
  if (ArrayBuffer.isView(value)) return 9 + value.byteLength;
  let size = 9;
  if (value.constructor === Array) {
    const array = value as unknown[];
    for (let i = 0; i < array.length; i++) {
      const item = bound(array[i]);
      if (item < 0) return -1;
      size += item;
    }
    return size;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return knownSize?.(value) ?? -1;
  for (const key in value) {
    const item = bound((value as Record<string, unknown>)[key]);
    if (item < 0) return -1;
    size += 9 + 3 * key.length + item;
  }
  return size;
}

const nodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(size: number): Uint8Array } }).Buffer;

/**
 * A write buffer for msgpackr's or cbor-x's useBuffer(), of the class they make themselves: in Node a Buffer (whose
 * utf8Write they use), uninitialized.
 */
export function encoderBuffer(size: number): Uint8Array {
  return nodeBuffer === undefined ? new Uint8Array(size) : nodeBuffer.allocUnsafeSlow(size);
}
