import { Packr, Unpackr } from 'msgpackr';
import {
  checkHeap,
  type Codec,
  type CodecOptions,
  decodeSafely,
  DEFAULT_MAX_DEPTH,
  encoderBuffer,
  formatError,
  LARGE_MESSAGE,
  maxHeapBytesOf,
  mentionsProto,
  PRICED_AFTER_LARGE,
  sanitize,
  sanitizeInPlace,
  type SanitizeRules,
  sizeBound,
} from '@rpc/codec';
import {
  decodingWith,
  installExtensions,
  isKeepableExtension,
  LargeText,
  MsgpackExtension,
  RawTagged,
  READ_OPTIONS,
  readTagged,
  WRITE_OPTIONS,
} from './extension.js';
import { MsgpackHeapScan, WORST_PER_BYTE } from './heap-scan.js';

/** The MessagePack codec's limits, and the extension types it passes through. */
export interface MsgpackCodecOptions extends CodecOptions {
  /**
   * Extension types to decode as MsgpackExtension values instead of
   * refusing them (neovim's handles are 0, 1 and 2). Types msgpackr uses
   * itself (66, 98, 101, 105, 112, 114, 115, 116, 120) and 26 cannot be kept.
   */
  readonly extensions?: readonly number[];
}

/**
 * The name `@rpc` peers use for MessagePack; Perl's Event::RPC does not know it, so servers offer it after the Perl
 * formats.
 */
export const MSGPACK_FORMAT = 'MSGP';

/** Strings of a large message at least this long are written at their UTF-8 length (in Node, where it is cheap). */
const LARGE_TEXT = 64 * 1024;
const nodeBuffer = (globalThis as { Buffer?: { byteLength(text: string, encoding: 'utf8'): number } }).Buffer;

const knownSize = (value: object): number | undefined =>
  value instanceof MsgpackExtension ? 6 + value.data.length : undefined;

/** What withLargeText took off the bound: two bytes per character of a one-byte string. */
let spared = 0;

/**
 * `value` with its long strings as LargeText, the arrays and objects around them copied (keys in their order): for a
 * value sizeBound has priced, in Node.
 */
function withLargeText(value: unknown, byteLength: (text: string) => number): unknown {
  if (typeof value === 'string') {
    if (value.length < LARGE_TEXT) return value;
    const length = byteLength(value);
    spared += 3 * value.length - length;
    return new LargeText(value, length);
  }
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || value instanceof MsgpackExtension)
    return value;
  if (Array.isArray(value)) return value.map((item) => withLargeText(item, byteLength));
  const copy = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>;
  for (const key in value) {
    const item = withLargeText((value as Record<string, unknown>)[key], byteLength);
    if (key === '__proto__')
      Object.defineProperty(copy, key, { value: item, writable: true, enumerable: true, configurable: true });
    else copy[key] = item;
  }
  return copy;
}

function extension(value: object): { className: unknown; values: unknown } | undefined {
  if (!(value instanceof RawTagged)) return undefined;
  const data = readTagged(value);
  if (!Array.isArray(data)) return undefined;
  return { className: data[0], values: data.slice(1) };
}

/**
 * MessagePack through msgpackr, the format `@rpc` peers prefer between
 * themselves. Binary data stays Uint8Array, integers beyond 2^53 are
 * BigInt, TaggedValue travels as extension 26, undefined as nil.
 */
export function msgpackCodec(options: MsgpackCodecOptions = {}): Codec {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxHeapBytes = maxHeapBytesOf(options, MSGPACK_FORMAT);
  const kept = new Set(options.extensions ?? []);
  for (const type of kept) {
    if (!isKeepableExtension(type))
      throw formatError(
        'CODEC_INVALID_OPTION',
        MSGPACK_FORMAT,
        `extension type ${type} cannot be kept: use 0-127 except 26, 66, 98, 101, 105, 112, 114, 115, 116, 120`,
      );
  }
  installExtensions(kept);
  const packr = new Packr(WRITE_OPTIONS);
  // Maps are safe for any key; plain objects are faster, and safe unless a key could be "__proto__".
  const unpackr = new Unpackr(READ_OPTIONS);
  const objectUnpackr = new Unpackr({ ...READ_OPTIONS, mapsAsObjects: true });
  const rules: SanitizeRules = {
    format: MSGPACK_FORMAT,
    maxDepth,
    bytes: 'keep',
    tag: extension,
    keep: (value) => value instanceof MsgpackExtension,
    maxHeapBytes,
  };
  const heapScan = new MsgpackHeapScan(maxDepth);
  const scanObjects = (bytes: Uint8Array, limit: number) => heapScan.scan(bytes, limit, false);
  const scanMaps = (bytes: Uint8Array, limit: number) => heapScan.scan(bytes, limit, true);
  /** Messages still to price, after a large one. */
  let priced = 0;
  return {
    name: MSGPACK_FORMAT,
    insecure: false,
    encode(value: unknown): Uint8Array {
      // While large messages come, one whose few values add up to a large one gets a write buffer of its own, made
      // to measure (see LARGE_MESSAGE): written once, and small enough for malloc to reuse its memory (in fresh
      // memory, page faults cost more than the copy). Its long strings are written at their length, not in room for
      // three bytes each.
      let bound = -1;
      let packed = value;
      if (priced > 0) {
        priced--;
        bound = sizeBound(value, knownSize);
        if (bound >= LARGE_MESSAGE && nodeBuffer !== undefined) {
          spared = 0;
          const withText = withLargeText(value, (text) => nodeBuffer.byteLength(text, 'utf8'));
          if (spared > 0) {
            packed = withText;
            bound -= spared;
          }
        }
        if (bound >= LARGE_MESSAGE) packr.useBuffer(encoderBuffer(bound + 16)); // msgpackr keeps 10 bytes spare
      }
      let length = 0;
      try {
        const bytes = packr.pack(packed);
        length = bytes.length;
        return bytes;
      } catch (error) {
        throw formatError('CODEC_UNENCODABLE', MSGPACK_FORMAT, (error as Error).message, { cause: error });
      } finally {
        // Left in place, a large message's buffer would take the next messages, each small view of it keeping it
        // all alive. The message stays alone at the start of its buffer: the send queue passes it on as it is.
        if (bound >= LARGE_MESSAGE || length >= LARGE_MESSAGE) {
          packr.useBuffer(encoderBuffer(8192));
          priced = PRICED_AFTER_LARGE;
        }
      }
    },
    decode(bytes: Uint8Array): unknown {
      return decodeSafely(MSGPACK_FORMAT, maxDepth, () =>
        decodingWith(kept, () => {
          if (mentionsProto(bytes)) {
            checkHeap(MSGPACK_FORMAT, bytes, maxHeapBytes, WORST_PER_BYTE.maps, scanMaps);
            return sanitize(unpackr.unpack(bytes), rules, bytes.length);
          }
          checkHeap(MSGPACK_FORMAT, bytes, maxHeapBytes, WORST_PER_BYTE.objects, scanObjects);
          return sanitizeInPlace(objectUnpackr.unpack(bytes), rules, bytes.length);
        }),
      );
    },
  };
}
