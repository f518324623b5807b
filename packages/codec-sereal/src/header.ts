import { malformed } from './errors.js';
import { BodyEncoding, MAGIC_V1, MAGIC_V3, MAGIC_V3_UTF8, OLDEST_VERSION, PROTOCOL_VERSION } from './tags.js';

/** What the document header says about the body that follows it. */
export interface Header {
  readonly version: number;
  /** Index of the body's first byte in the input. */
  readonly bodyStart: number;
  /**
   * Added to an offset (REFP, ALIAS, COPY, OBJECTV) to find its byte: protocol 1
   * counts from the document's first byte, protocol 2 and later from the body's
   * first byte, counting it as 1.
   */
  readonly offsetBase: number;
}

const COMPRESSION: Record<number, string> = {
  [BodyEncoding.SNAPPY]: 'Snappy',
  [BodyEncoding.SNAPPY_INCREMENTAL]: 'Snappy',
  [BodyEncoding.ZLIB]: 'Zlib',
  [BodyEncoding.ZSTD]: 'Zstd',
};

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === magic[0] &&
    bytes[1] === magic[1] &&
    bytes[2] === magic[2] &&
    bytes[3] === magic[3]
  );
}

/**
 * Reads `<MAGIC> <VERSION-TYPE> <HEADER-SUFFIX-SIZE> <OPT-SUFFIX>`. The suffix
 * (user data of protocol 3 and later) is skipped unread, after checking that
 * it lies within the input.
 */
export function readHeader(bytes: Uint8Array): Header {
  const v3 = startsWith(bytes, MAGIC_V3);
  if (!v3 && !startsWith(bytes, MAGIC_V1)) {
    if (startsWith(bytes, MAGIC_V3_UTF8))
      throw malformed('a Sereal document that was UTF-8 encoded on its way (magic =\\xC3\\xB3rl)', 0);
    throw malformed('not a Sereal document (no =srl or =\\xF3rl magic)', 0);
  }
  if (bytes.length < 6) throw malformed('the header ends early', bytes.length);
  const versionType = bytes[4] as number;
  const version = versionType & 0x0f;
  const encoding = versionType >> 4;
  if (version < OLDEST_VERSION || version > PROTOCOL_VERSION)
    throw malformed(`protocol version ${version} is not supported (1 to ${PROTOCOL_VERSION} are)`, 4);
  if (v3 !== version >= 3)
    throw malformed(`protocol version ${version} with the magic string of version ${v3 ? '3 or later' : '1 or 2'}`, 4);
  if (encoding !== BodyEncoding.RAW) {
    const name = COMPRESSION[encoding];
    throw malformed(
      name
        ? `the body is ${name}-compressed; only uncompressed Sereal is supported ` +
            "(Perl's default encoder does not compress)"
        : `unknown body encoding ${encoding}`,
      4,
    );
  }
  // The suffix size is a varint; anything beyond the input is refused before skipping.
  let at = 5;
  let size = 0;
  for (let shift = 0; ; shift += 7) {
    if (at >= bytes.length) throw malformed('the header ends early', at);
    if (shift > 28) throw malformed('header suffix size too large', at);
    const byte = bytes[at++] as number;
    size += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) break;
  }
  if (size > bytes.length - at) throw malformed(`header suffix of ${size} bytes runs past the input`, at);
  const bodyStart = at + size;
  return { version, bodyStart, offsetBase: version === 1 ? 0 : bodyStart - 1 };
}

/** The header our encoder writes: protocol 5, raw body, no suffix. */
export const HEADER: readonly number[] = [...MAGIC_V3, PROTOCOL_VERSION, 0];
