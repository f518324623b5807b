/**
 * Sereal's tag bytes and header constants, by their names in sereal_spec.pod
 * (protocol 5, as Sereal::Encoder/Decoder 5.003 define them). A tag's high
 * bit is the "track" flag; the other seven bits say what follows.
 */
export const Tag = {
  /** POS_0..POS_15: the integer in the low 4 bits. */
  POS_0: 0x00,
  POS_15: 0x0f,
  /** NEG_16..NEG_1: tag - 32. */
  NEG_16: 0x10,
  NEG_1: 0x1f,
  VARINT: 0x20,
  ZIGZAG: 0x21,
  FLOAT: 0x22,
  DOUBLE: 0x23,
  LONG_DOUBLE: 0x24,
  UNDEF: 0x25,
  BINARY: 0x26,
  STR_UTF8: 0x27,
  REFN: 0x28,
  REFP: 0x29,
  HASH: 0x2a,
  ARRAY: 0x2b,
  OBJECT: 0x2c,
  OBJECTV: 0x2d,
  ALIAS: 0x2e,
  COPY: 0x2f,
  WEAKEN: 0x30,
  REGEXP: 0x31,
  OBJECT_FREEZE: 0x32,
  OBJECTV_FREEZE: 0x33,
  /** Protocol 5: Perl 5.36 booleans (copies of true and false). */
  NO: 0x34,
  YES: 0x35,
  RESERVED_0: 0x36,
  RESERVED_1: 0x37,
  FLOAT_128: 0x38,
  CANONICAL_UNDEF: 0x39,
  FALSE: 0x3a,
  TRUE: 0x3b,
  MANY: 0x3c,
  PACKET_START: 0x3d,
  EXTEND: 0x3e,
  PAD: 0x3f,
  /** ARRAYREF_0..ARRAYREF_15: a reference to an array of (low 4 bits) items. */
  ARRAYREF_0: 0x40,
  ARRAYREF_15: 0x4f,
  /** HASHREF_0..HASHREF_15: a reference to a hash of (low 4 bits) pairs. */
  HASHREF_0: 0x50,
  HASHREF_15: 0x5f,
  /** SHORT_BINARY_0..SHORT_BINARY_31: a byte string of (low 5 bits) bytes. */
  SHORT_BINARY_0: 0x60,
  SHORT_BINARY_31: 0x7f,
} as const;

export const TRACK_FLAG = 0x80;
export const TAG_MASK = 0x7f;

/** The tag's name for error messages. */
export function tagName(tag: number): string {
  const t = tag & TAG_MASK;
  if (t <= Tag.POS_15) return `POS_${t}`;
  if (t <= Tag.NEG_1) return `NEG_${32 - t}`;
  if (t >= Tag.SHORT_BINARY_0) return `SHORT_BINARY_${t - Tag.SHORT_BINARY_0}`;
  if (t >= Tag.HASHREF_0) return `HASHREF_${t - Tag.HASHREF_0}`;
  if (t >= Tag.ARRAYREF_0) return `ARRAYREF_${t - Tag.ARRAYREF_0}`;
  for (const [name, value] of Object.entries(Tag)) if (value === t) return name;
  return `0x${t.toString(16)}`;
}

/** "=srl": the magic string of protocol versions 1 and 2. */
export const MAGIC_V1 = [0x3d, 0x73, 0x72, 0x6c] as const;
/** "=\xF3rl": the magic string of protocol versions 3 and later. */
export const MAGIC_V3 = [0x3d, 0xf3, 0x72, 0x6c] as const;
/** "=\xC3\xB3rl": a version 3+ document that was UTF-8 encoded by mistake. */
export const MAGIC_V3_UTF8 = [0x3d, 0xc3, 0xb3, 0x72] as const;

/** The protocol version Sereal::Encoder 5.003 writes by default, and so do we. */
export const PROTOCOL_VERSION = 5;
export const OLDEST_VERSION = 1;

/** The high nibble of the version-type byte: how the body is stored. */
export const BodyEncoding = {
  RAW: 0,
  SNAPPY: 1,
  SNAPPY_INCREMENTAL: 2,
  ZLIB: 3,
  ZSTD: 4,
} as const;
