import { addExtension, Decoder, Encoder, Tag } from 'cbor-x';
import {
  checkHeap,
  type Codec,
  type CodecOptions,
  decodeSafely,
  DEFAULT_MAX_DEPTH,
  encoderBuffer,
  formatError,
  isCodecError,
  LARGE_MESSAGE,
  maxHeapBytesOf,
  PERL_OBJECT_TAG,
  PRICED_AFTER_LARGE,
  sanitize,
  type SanitizeRules,
  setKey,
  sizeBound,
  TaggedValue,
} from '@rpc/codec';
import { CborHeapScan, WORST_PER_BYTE } from './heap-scan.js';

/**
 * Bignums (tags 2 and 3) longer than this are refused: cbor-x builds them in quadratic time, and RPC has no use for
 * them.
 */
const MAX_BIGNUM_BYTES = 64;

/** How the codec's cbor-x Encoder writes: plain maps and arrays, as CBOR::XS reads them. */
export const WRITE_OPTIONS = {
  useRecords: false,
  mapsAsObjects: true,
  variableMapSize: true,
  tagUint8Array: false,
  pack: false,
  structuredClone: false,
} as const;

/** The value of a bignum's bytes, as cbor-x reads it. */
function bignumValue(bytes: Uint8Array): bigint {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex === '' ? 0n : BigInt(`0x${hex}`);
}

/** Inside an @rpc codec's decode: bignums are bounded there, and only there. */
let decoding = 0;

function bignum(negative: boolean) {
  return (bytes: Uint8Array): bigint => {
    if (decoding > 0 && (!(bytes instanceof Uint8Array) || bytes.length > MAX_BIGNUM_BYTES))
      throw new Error(`bignum longer than ${MAX_BIGNUM_BYTES} bytes`);
    const n = bignumValue(bytes);
    return negative ? -1n - n : n;
  };
}

let installed = false;

/**
 * cbor-x keeps tag decoders in one table per process: ours replace its
 * bignum readers when the first codec is made (never at import), bound their
 * length only while an @rpc codec decodes, and give every other cbor-x user
 * the values cbor-x gives. The extension API also wants an encoder: this
 * class never occurs in a value, so encoding is unchanged.
 */
function installOnce(): void {
  if (installed) return;
  installed = true;
  class DecodeOnly {}
  const neverEncoded = (): never => {
    throw new Error('never encoded');
  };
  addExtension({ Class: DecodeOnly, tag: 2, encode: neverEncoded, decode: bignum(false) });
  addExtension({ Class: DecodeOnly, tag: 3, encode: neverEncoded, decode: bignum(true) });
}

function perlObject(value: object): { className: unknown; values: unknown } | undefined {
  if (!(value instanceof Tag) || value.tag !== PERL_OBJECT_TAG || !Array.isArray(value.value)) return undefined;
  return { className: value.value[0], values: value.value.slice(1) };
}

/**
 * cbor-x writes integers beyond 32 bits as float64; Perl would read those as floats, so they go out as CBOR integers.
 */
function isWideInteger(value: number): boolean {
  return Number.isSafeInteger(value) && (value > 0xffff_ffff || value < -0x8000_0000);
}

// TaggedValue → tag 26 [className, ...values], as CBOR::XS writes a Perl object through FREEZE;
// wide integers → BigInt.
function toWire(value: unknown, depth: number, maxDepth: number): unknown {
  if (typeof value === 'number') return isWideInteger(value) ? BigInt(value) : value;
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || value instanceof Date) return value;
  if (depth >= maxDepth) throw formatError('CODEC_UNENCODABLE', 'CBOR', `nesting deeper than ${maxDepth} (or a cycle)`);
  if (value instanceof TaggedValue) {
    return new Tag([value.className, ...value.values.map((v) => toWire(v, depth + 1, maxDepth))], PERL_OBJECT_TAG);
  }
  if (Array.isArray(value) || value instanceof Set) return [...value].map((v) => toWire(v, depth + 1, maxDepth));
  const out: Record<string, unknown> = {};
  const entries = value instanceof Map ? value.entries() : Object.entries(value);
  for (const [key, item] of entries) setKey(out, String(key), toWire(item, depth + 1, maxDepth));
  return out;
}

/** True when cbor-x alone would not write `value` as Perl expects: it holds a tag, a Map, a Set or a wide integer. */
function needsWire(value: unknown, depth = 0): boolean {
  if (typeof value === 'number') return isWideInteger(value);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return false;
  if (value instanceof TaggedValue || value instanceof Map || value instanceof Set || depth > 64) return true;
  if (Array.isArray(value)) return value.some((v) => needsWire(v, depth + 1));
  for (const key in value) if (needsWire((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

/**
 * CBOR as Event::RPC's CBOR::XS speaks it, through cbor-x. Perl sends most
 * strings as byte strings: byte strings decode as latin-1 text everywhere,
 * map keys included, so a Uint8Array sent as bytes comes back as a string.
 * Blessed objects are tag 26 `[Class, ...]` (TaggedValue). Integers beyond
 * 2^53 decode as BigInt; undefined and null both decode as null. Integers
 * beyond 32 bits go out as CBOR integers (cbor-x alone writes them as floats).
 */
export function cborCodec(options: CodecOptions = {}): Codec {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxHeapBytes = maxHeapBytesOf(options, 'CBOR');
  // useBuffer is cbor-x's (as msgpackr's), missing from its typings.
  const encoder = new Encoder(WRITE_OPTIONS) as Encoder & { useBuffer(buffer: Uint8Array): void };
  const decoder = new Decoder({ useRecords: false, mapsAsObjects: false, pack: false, structuredClone: false });
  const rules: SanitizeRules = { format: 'CBOR', maxDepth, bytes: 'latin1', tag: perlObject, maxHeapBytes };
  const heapScan = new CborHeapScan(maxDepth);
  const scan = (bytes: Uint8Array, limit: number) => heapScan.scan(bytes, limit);
  /** Messages still to price, after a large one. */
  let priced = 0;
  installOnce();
  return {
    name: 'CBOR',
    insecure: false,
    encode(value: unknown): Uint8Array {
      let bound = -1;
      let length = 0;
      try {
        const wire = needsWire(value) ? toWire(value, 0, maxDepth) : value;
        // While large messages come, a large one gets a write buffer of its own, made to measure (see
        // LARGE_MESSAGE); afterwards cbor-x gets a fresh small one, so that it writes no later message there.
        if (priced > 0) {
          priced--;
          bound = sizeBound(wire);
          if (bound >= LARGE_MESSAGE) encoder.useBuffer(encoderBuffer(bound + 16)); // cbor-x keeps 10 bytes spare
        }
        const bytes = encoder.encode(wire);
        length = bytes.length;
        return bytes;
      } catch (error) {
        if (isCodecError(error)) throw error;
        throw formatError('CODEC_UNENCODABLE', 'CBOR', (error as Error).message, { cause: error });
      } finally {
        if (bound >= LARGE_MESSAGE || length >= LARGE_MESSAGE) {
          encoder.useBuffer(encoderBuffer(8192));
          priced = PRICED_AFTER_LARGE;
        }
      }
    },
    decode(bytes: Uint8Array): unknown {
      return decodeSafely('CBOR', maxDepth, () => {
        checkHeap('CBOR', bytes, maxHeapBytes, WORST_PER_BYTE, scan);
        decoding++;
        try {
          return sanitize(decoder.decode(bytes), rules, bytes.length);
        } finally {
          decoding--;
        }
      });
    },
  };
}
