import { Packr, Unpackr } from 'msgpackr';
import {
  type Codec,
  type CodecOptions,
  decodeSafely,
  DEFAULT_MAX_DEPTH,
  formatError,
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
  WRITE_OPTIONS,
} from './extension.js';

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
  if (!(value instanceof RawTagged) || !Array.isArray(value.data)) return undefined;
  return { className: value.data[0], values: value.data.slice(1) };
}

/**
 * MessagePack through msgpackr, the format @rpc peers prefer between
 * themselves. Binary data stays Uint8Array, integers beyond 2^53 are
 * BigInt, TaggedValue travels as extension 26, undefined as nil.
 */
export function msgpackCodec(options: MsgpackCodecOptions = {}): Codec {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
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
  };
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
        decodingWith(kept, () =>
          mentionsProto(bytes)
            ? sanitize(unpackr.unpack(bytes), rules, bytes.length)
            : sanitizeInPlace(objectUnpackr.unpack(bytes), rules, bytes.length),
        ),
      );
    },
  };
}
