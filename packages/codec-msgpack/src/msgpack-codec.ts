import { addExtension, Packr, Unpackr } from 'msgpackr';
import { CodecError, DEFAULT_MAX_DEPTH, PERL_OBJECT_TAG, sanitize, TaggedValue, type Codec, type CodecOptions, type SanitizeRules } from '@rpc/codec';

/** The name @rpc peers use for MessagePack; Perl's Event::RPC does not know it, so servers offer it after the Perl formats. */
export const MSGPACK_FORMAT = 'MSGP';

/** An extension-26 payload as msgpackr read it, before sanitizing. */
class RawTagged {
  constructor(readonly data: unknown) {}
}

// Extension 26 carries [className, ...values] as a MessagePack array, so any MessagePack reader can open it.
// msgpackr keeps extensions in one registry per process; this one only concerns our own class.
const inner = new Packr({ useRecords: false, encodeUndefinedAsNil: true, variableMapSize: true });
const innerReader = new Unpackr({ useRecords: false, mapsAsObjects: false, int64AsType: 'bigint' });
addExtension({
  Class: TaggedValue,
  type: PERL_OBJECT_TAG,
  pack: (value: TaggedValue) => inner.pack([value.className, ...value.values]),
  unpack: (payload: Uint8Array) => new RawTagged(innerReader.unpack(payload)),
});

function extension(value: object): { className: unknown; values: unknown } | undefined {
  if (!(value instanceof RawTagged) || !Array.isArray(value.data)) return undefined;
  return { className: value.data[0], values: value.data.slice(1) };
}

/**
 * MessagePack through msgpackr, the format @rpc peers prefer between
 * themselves. Binary data stays Uint8Array, integers beyond 2^53 are
 * BigInt, TaggedValue travels as extension 26, undefined as nil.
 */
export function msgpackCodec(options: CodecOptions = {}): Codec {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true, variableMapSize: true, structuredClone: false, moreTypes: false });
  const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, int64AsType: 'bigint', structuredClone: false, moreTypes: false });
  const rules: SanitizeRules = { format: MSGPACK_FORMAT, maxDepth, bytes: 'keep', tag: extension };
  return {
    name: MSGPACK_FORMAT,
    insecure: false,
    encode(value: unknown): Uint8Array {
      try {
        return packr.pack(value);
      } catch (error) {
        throw new CodecError('CODEC_UNENCODABLE', MSGPACK_FORMAT, (error as Error).message, { cause: error });
      }
    },
    decode(bytes: Uint8Array): unknown {
      let raw: unknown;
      try {
        raw = unpackr.unpack(bytes);
      } catch (error) {
        if (error instanceof RangeError && /call stack/.test(error.message)) {
          throw new CodecError('CODEC_TOO_DEEP', MSGPACK_FORMAT, `nesting deeper than ${maxDepth}`, { cause: error });
        }
        throw new CodecError('CODEC_MALFORMED', MSGPACK_FORMAT, (error as Error).message, { cause: error });
      }
      return sanitize(raw, rules);
    },
  };
}
