import { Packr, Unpackr } from 'msgpackr';
import {
  checkHeap,
  type Codec,
  type CodecOptions,
  decodeSafely,
  DEFAULT_MAX_DEPTH,
  formatError,
  maxHeapBytesOf,
  mentionsProto,
  sanitize,
  sanitizeInPlace,
  type SanitizeRules,
} from '@rpc/codec';
import {
  decodingWith,
  installExtensions,
  isKeepableExtension,
  MsgpackExtension,
  RawTagged,
  READ_OPTIONS,
  readTagged,
  WRITE_OPTIONS,
} from './extension.js';
import { MsgpackHeapScan, WORST_PER_BYTE } from './heap-scan.js';

export interface MsgpackCodecOptions extends CodecOptions {
  /**
   * Extension types to decode as MsgpackExtension values instead of
   * refusing them (neovim's handles are 0, 1 and 2). Types msgpackr uses
   * itself (66, 98, 101, 105, 112, 114, 115, 116, 120) and 26 cannot be kept.
   */
  readonly extensions?: readonly number[];
}

/**
 * The name @rpc peers use for MessagePack; Perl's Event::RPC does not know it, so servers offer it after the Perl
 * formats.
 */
export const MSGPACK_FORMAT = 'MSGP';

function extension(value: object): { className: unknown; values: unknown } | undefined {
  if (!(value instanceof RawTagged)) return undefined;
  const data = readTagged(value);
  if (!Array.isArray(data)) return undefined;
  return { className: data[0], values: data.slice(1) };
}

/**
 * MessagePack through msgpackr, the format @rpc peers prefer between
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
  return {
    name: MSGPACK_FORMAT,
    insecure: false,
    encode(value: unknown): Uint8Array {
      try {
        return packr.pack(value);
      } catch (error) {
        throw formatError('CODEC_UNENCODABLE', MSGPACK_FORMAT, (error as Error).message, { cause: error });
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
