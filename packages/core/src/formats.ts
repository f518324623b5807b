import { CodecRegistry, type Codec } from '@rpc/codec';
import { cborCodec } from '@rpc/codec-cbor';
import { jsonCodec } from '@rpc/codec-json';
import { msgpackCodec } from '@rpc/codec-msgpack';
import { serealCodec } from '@rpc/codec-sereal';
import { rpcError } from './errors.js';

/**
 * Event::RPC's names of the message formats `@rpc` speaks (`MSGP` is ours: MessagePack, preferred between `@rpc`
 * peers).
 */
export type FormatName = 'CBOR' | 'SERL' | 'JSON' | 'MSGP';

/** A message format as the `messageFormats` option takes it: an Event::RPC name, or a codec object. */
export type MessageFormat = FormatName | Codec;

const CODECS: Readonly<Record<FormatName, () => Codec>> = {
  MSGP: msgpackCodec,
  CBOR: cborCodec,
  SERL: serealCodec,
  JSON: jsonCodec,
};

/**
 * What servers and clients speak when `messageFormats` is not given, in
 * their order of preference. Perl peers are offered CBOR before Sereal
 * (Event::RPC's own first choice): both carry the same values, and CBOR is
 * the faster of the two here.
 */
export const DEFAULT_FORMATS: readonly FormatName[] = ['MSGP', 'CBOR', 'SERL', 'JSON'];

/**
 * The codecs of a `messageFormats` option (names or codecs, in order of preference); the defaults when empty or absent.
 */
export function formatRegistry(formats: readonly MessageFormat[] | undefined): CodecRegistry {
  const chosen = formats === undefined || formats.length === 0 ? DEFAULT_FORMATS : formats;
  return new CodecRegistry(chosen.map(toCodec));
}

function toCodec(format: MessageFormat): Codec {
  if (typeof format !== 'string') return format;
  const make = Object.hasOwn(CODECS, format) ? CODECS[format] : undefined;
  if (make !== undefined) return make();
  const why =
    (format as string) === 'STOR'
      ? 'Storable is not supported: decoding it lets a peer build arbitrary Perl objects'
      : `known formats: ${Object.keys(CODECS).join(', ')}, or a codec object`;
  throw rpcError('RPC_INVALID_OPTION', `unknown message format '${String(format)}' (${why})`);
}
