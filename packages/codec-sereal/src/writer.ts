import { TaggedValue } from '@rpc/codec';
import { unencodable } from './errors.js';
import { HEADER } from './header.js';
import { objectShape } from './objects.js';
import { Tag } from './tags.js';

const DEFAULT_SIZE = 8192;
/** Below this much room a new buffer is started, rather than growing in the middle of a document. */
const MIN_ROOM = 256;
const MAX_U64 = 2n ** 64n - 1n;
const MIN_I64 = -(2n ** 63n);
const NON_ASCII = /[^\u0000-\u007f]/;
const textEncoder = new TextEncoder();

function varintSize(n: number): number {
  let size = 1;
  for (; n >= 0x80; n = Math.floor(n / 0x80)) size++;
  return size;
}

/**
 * Writes Sereal documents as Perl's Sereal::Encoder->new (protocol 5) writes
 * the same data: small containers as ARRAYREF_n / HASHREF_n, repeated hash keys
 * as COPY, repeated class names as OBJECTV, and the smallest number and string
 * forms. Documents are written one after another into one growing buffer and
 * returned as views of it; a buffer is never written again behind a returned
 * view, so a view stays valid after later calls.
 */
export class SerealWriter {
  #buf = new Uint8Array(DEFAULT_SIZE);
  #view = new DataView(this.#buf.buffer);
  #pos = 0;
  /** Where the current document starts, and its body (offsets count from the body's first byte, as 1). */
  #start = 0;
  #body = 0;
  /** Offsets of the hash keys and class names written so far in this document. */
  readonly #keys = new Map<string, number>();
  readonly #classes = new Map<string, number>();

  constructor(readonly maxDepth: number) {}

  encode(value: unknown): Uint8Array {
    // Past the document before (its view keeps it), so that a fresh buffer starts empty rather than with a copy of it.
    this.#start = this.#pos;
    if (this.#buf.length - this.#pos < MIN_ROOM) this.#replace(DEFAULT_SIZE);
    for (const byte of HEADER) this.#buf[this.#pos++] = byte;
    this.#body = this.#pos;
    try {
      this.#value(value, 0);
    } catch (error) {
      this.#pos = this.#start;
      throw error;
    } finally {
      if (this.#keys.size > 0) this.#keys.clear();
      if (this.#classes.size > 0) this.#classes.clear();
    }
    return this.#buf.subarray(this.#start, this.#pos);
  }

  /** Makes room for `bytes` more bytes. */
  #ensure(bytes: number): void {
    if (this.#pos + bytes > this.#buf.length)
      this.#replace(Math.max(DEFAULT_SIZE, (this.#pos - this.#start + bytes) * 2));
  }

  /** Moves the current document to a new buffer; the old one stays with the views already returned. */
  #replace(size: number): void {
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(this.#start, this.#pos));
    this.#pos -= this.#start;
    this.#body -= this.#start;
    this.#start = 0;
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  #byte(byte: number): void {
    this.#ensure(1);
    this.#buf[this.#pos++] = byte;
  }

  /** A varint of up to 2^53; the caller has made room (10 bytes). */
  #varint(n: number): void {
    const buf = this.#buf;
    let pos = this.#pos;
    for (; n > 0x7fffffff; n = Math.floor(n / 0x80)) buf[pos++] = (n % 0x80) | 0x80;
    for (; n >= 0x80; n >>>= 7) buf[pos++] = (n & 0x7f) | 0x80;
    buf[pos++] = n;
    this.#pos = pos;
  }

  #bigVarint(n: bigint): void {
    this.#ensure(10);
    for (; n >= 0x80n; n >>= 7n) this.#buf[this.#pos++] = Number(n & 0x7fn) | 0x80;
    this.#buf[this.#pos++] = Number(n);
  }

  #value(value: unknown, depth: number): void {
    switch (typeof value) {
      case 'string':
        return this.#string(value);
      case 'number':
        return this.#number(value);
      case 'boolean':
        // YES/NO: what Perl 5.36 writes for a boolean held in data (TRUE/FALSE are its immortal PL_sv_yes/no).
        return this.#byte(value ? Tag.YES : Tag.NO);
      case 'bigint':
        return this.#bigint(value);
      case 'undefined':
        return this.#byte(Tag.UNDEF);
      case 'object':
        if (value === null) return this.#byte(Tag.UNDEF);
        return this.#object(value, depth);
      default:
        throw unencodable(`a ${typeof value} cannot be sent`);
    }
  }

  #object(value: object, depth: number): void {
    if (depth >= this.maxDepth) throw unencodable(`nesting deeper than ${this.maxDepth} (or a cycle)`);
    if (Array.isArray(value)) return this.#array(value, depth);
    if (value instanceof Set) return this.#array([...value], depth); // as the other codecs: a Set travels as a list
    if (value instanceof Uint8Array) return this.#bytes(value);
    if (value instanceof TaggedValue) return this.#tagged(value, depth);
    // As JSON.stringify: a Date is its ISO string, an invalid one null.
    if (value instanceof Date)
      return Number.isNaN(value.getTime()) ? this.#byte(Tag.UNDEF) : this.#string(value.toISOString());
    if (ArrayBuffer.isView(value)) return this.#bytes(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    if (value instanceof Map) {
      this.#hashHeader(value.size);
      for (const [key, item] of value) {
        this.#key(String(key));
        this.#value(item, depth + 1);
      }
      return;
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    this.#hashHeader(keys.length);
    for (const key of keys) {
      this.#key(key);
      this.#value(record[key], depth + 1);
    }
  }

  #array(items: readonly unknown[], depth: number): void {
    const n = items.length;
    if (n <= 15) this.#byte(Tag.ARRAYREF_0 + n);
    else {
      this.#ensure(12);
      this.#buf[this.#pos++] = Tag.REFN;
      this.#buf[this.#pos++] = Tag.ARRAY;
      this.#varint(n);
    }
    for (let i = 0; i < n; i++) this.#value(items[i], depth + 1);
  }

  #hashHeader(n: number): void {
    if (n <= 15) return this.#byte(Tag.HASHREF_0 + n);
    this.#ensure(12);
    this.#buf[this.#pos++] = Tag.REFN;
    this.#buf[this.#pos++] = Tag.HASH;
    this.#varint(n);
  }

  /** Perl shares hash keys, and Sereal::Encoder writes a key it has written before as a COPY of the first. */
  #key(key: string): void {
    const offset = this.#keys.get(key);
    if (offset !== undefined) {
      this.#ensure(11);
      this.#buf[this.#pos++] = Tag.COPY;
      return this.#varint(offset);
    }
    this.#keys.set(key, this.#pos - this.#body + 1);
    this.#string(key);
  }

  #tagged(tagged: TaggedValue, depth: number): void {
    const shape = objectShape(tagged);
    const freeze = shape.kind === 'FREEZE';
    const name = tagged.className;
    const offset = this.#classes.get(name);
    if (offset !== undefined) {
      this.#ensure(11);
      this.#buf[this.#pos++] = freeze ? Tag.OBJECTV_FREEZE : Tag.OBJECTV;
      this.#varint(offset);
    } else {
      this.#byte(freeze ? Tag.OBJECT_FREEZE : Tag.OBJECT);
      this.#classes.set(name, this.#pos - this.#body + 1);
      this.#string(name);
    }
    switch (shape.kind) {
      case 'SCALAR':
        this.#byte(Tag.REFN);
        return this.#value(shape.value, depth + 1);
      case 'ARRAY':
        return this.#array(shape.items, depth + 1);
      case 'HASH': {
        const pairs = shape.pairs;
        this.#hashHeader(pairs.length / 2);
        for (let i = 0; i < pairs.length; i += 2) {
          this.#key(String(pairs[i]));
          this.#value(pairs[i + 1], depth + 2);
        }
        return;
      }
      case 'FREEZE':
        // Sereal::Encoder writes the FREEZE list as REFN ARRAY, whatever its length.
        this.#ensure(12);
        this.#buf[this.#pos++] = Tag.REFN;
        this.#buf[this.#pos++] = Tag.ARRAY;
        this.#varint(shape.values.length);
        for (const item of shape.values) this.#value(item, depth + 2);
    }
  }

  // --- scalars

  #number(x: number): void {
    if (Number.isSafeInteger(x) && !Object.is(x, -0)) return this.#integer(x);
    this.#ensure(9);
    // Like Sereal::Encoder 5: FLOAT when a float holds the value exactly (infinities and NaN included), else DOUBLE.
    if (Math.fround(x) === x || Number.isNaN(x)) {
      this.#buf[this.#pos++] = Tag.FLOAT;
      this.#view.setFloat32(this.#pos, x, true);
      this.#pos += 4;
    } else {
      this.#buf[this.#pos++] = Tag.DOUBLE;
      this.#view.setFloat64(this.#pos, x, true);
      this.#pos += 8;
    }
  }

  #integer(x: number): void {
    if (x >= 0) {
      if (x <= 15) return this.#byte(x);
      this.#ensure(11);
      this.#buf[this.#pos++] = Tag.VARINT;
      return this.#varint(x);
    }
    if (x >= -16) return this.#byte(x + 32);
    // ZIGZAG of x is -2x - 1, which a double holds exactly only while |x| <= 2^52.
    if (x < -(2 ** 52)) return this.#bigint(BigInt(x));
    this.#ensure(11);
    this.#buf[this.#pos++] = Tag.ZIGZAG;
    this.#varint(-2 * x - 1);
  }

  #bigint(x: bigint): void {
    if (x >= -(2n ** 52n) && x <= BigInt(Number.MAX_SAFE_INTEGER)) return this.#integer(Number(x));
    if (x > MAX_U64 || x < MIN_I64) throw unencodable(`integer ${x} is outside Perl's 64-bit range`);
    if (x > 0n) {
      this.#byte(Tag.VARINT);
      return this.#bigVarint(x);
    }
    this.#byte(Tag.ZIGZAG);
    this.#bigVarint(-2n * x - 1n);
  }

  /** Bytes: BINARY, or SHORT_BINARY below 32 bytes (a Perl byte string). */
  #bytes(bytes: Uint8Array): void {
    const n = bytes.length;
    this.#ensure(n + 11);
    if (n < 32) this.#buf[this.#pos++] = Tag.SHORT_BINARY_0 + n;
    else {
      this.#buf[this.#pos++] = Tag.BINARY;
      this.#varint(n);
    }
    this.#buf.set(bytes, this.#pos);
    this.#pos += n;
  }

  /**
   * ASCII-only text as a byte string (SHORT_BINARY / BINARY), any other text
   * as STR_UTF8: what Perl writes for its string literals, which carry the
   * UTF-8 flag only when they hold a non-ASCII character.
   */
  #string(text: string): void {
    const n = text.length;
    if (n < 32) {
      // At most 3 bytes per UTF-16 unit: 93 bytes, so a one-byte length always fits.
      this.#ensure(2 + 3 * n);
      const buf = this.#buf;
      let pos = this.#pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) break;
        buf[pos++] = c;
      }
      if (i === n) {
        buf[this.#pos] = Tag.SHORT_BINARY_0 + n;
        this.#pos = pos;
        return;
      }
      return this.#shortUtf8(text);
    }
    if (!NON_ASCII.test(text)) {
      this.#ensure(11 + n);
      this.#buf[this.#pos++] = Tag.BINARY;
      this.#varint(n);
      this.#pos += textEncoder.encodeInto(text, this.#buf.subarray(this.#pos)).written;
      return;
    }
    const most = 3 * n;
    this.#ensure(11 + most);
    this.#buf[this.#pos++] = Tag.STR_UTF8;
    const lengthAt = this.#pos;
    const reserved = varintSize(most);
    const { written } = textEncoder.encodeInto(text, this.#buf.subarray(lengthAt + reserved));
    const size = varintSize(written);
    if (size < reserved) this.#buf.copyWithin(lengthAt + size, lengthAt + reserved, lengthAt + reserved + written);
    this.#varint(written);
    this.#pos += written;
  }

  /** STR_UTF8 of fewer than 32 UTF-16 units, encoded by hand (lone surrogates become U+FFFD, as TextEncoder does). */
  #shortUtf8(text: string): void {
    const buf = this.#buf;
    const start = this.#pos + 2;
    let pos = start;
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c < 0x80) {
        buf[pos++] = c;
        continue;
      }
      if (c < 0x800) {
        buf[pos++] = 0xc0 | (c >> 6);
        buf[pos++] = 0x80 | (c & 0x3f);
        continue;
      }
      if ((c & 0xf800) === 0xd800) {
        const next = text.charCodeAt(i + 1);
        if (c < 0xdc00 && (next & 0xfc00) === 0xdc00) {
          c = 0x10000 + ((c & 0x3ff) << 10) + (next & 0x3ff);
          i++;
          buf[pos++] = 0xf0 | (c >> 18);
          buf[pos++] = 0x80 | ((c >> 12) & 0x3f);
          buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
          buf[pos++] = 0x80 | (c & 0x3f);
          continue;
        }
        c = 0xfffd;
      }
      buf[pos++] = 0xe0 | (c >> 12);
      buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
      buf[pos++] = 0x80 | (c & 0x3f);
    }
    buf[this.#pos] = Tag.STR_UTF8;
    buf[this.#pos + 1] = pos - start;
    this.#pos = pos;
  }
}
