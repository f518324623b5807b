import {
  FAST_PROPERTIES,
  HEAP_COST as C,
  HeapMeter,
  latin1Cost,
  propertiesCost,
  setKey,
  type TaggedValue,
  textCost,
} from '@rpc/codec';
import { malformed, SEREAL_FORMAT, tooDeep } from './errors.js';
import { readHeader } from './header.js';
import { blessed, type ReferentKind } from './objects.js';
import { Tag, TAG_MASK, tagName, TRACK_FLAG } from './tags.js';
import { latin1Text, utf8Text } from './text.js';

/** A tracked item (tag with the track flag): what a REFP or ALIAS to it reads as, and what its subtree cost. */
interface Tracked {
  value: unknown;
  readonly cost: number;
}

/** What remembering a position costs (a tracked item, a class name, a copied string): a Map entry and a record. */
const REMEMBERED = 96;

/**
 * Heap bytes per input byte in the worst case: a tracked empty hash (0xd0) is an object, its slot and a tracked
 * item, 168 bytes from one byte. A message whose worst case fits maxHeapBytes cannot pass it, and is read unlimited.
 */
export const WORST_PER_BYTE = 168;

const MAX_U64 = 2n ** 64n - 1n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/**
 * Decodes one Sereal document (protocol 1 to 5, uncompressed) into the plain
 * value model of @rpc/codec. Bytes are hostile: lengths and counts are checked
 * against the bytes left before anything is allocated, nesting against
 * `maxDepth`, and every tag, including those reached again through REFP, ALIAS
 * or COPY, is paid from a budget of one per input byte, so that shared
 * references cannot expand a message into a tree larger than itself. Each
 * value is priced in heap bytes (HEAP_COST) just before it is built, and a
 * message that would take more than `maxHeapBytes` is refused there.
 */
export function decodeSereal(bytes: Uint8Array, maxDepth: number, maxHeapBytes: number): unknown {
  return new Reader(bytes, maxDepth, maxHeapBytes).document();
}

function isString(tag: number): boolean {
  return tag >= Tag.SHORT_BINARY_0 || tag === Tag.BINARY || tag === Tag.STR_UTF8;
}

/** A recursive-descent reader over one document; one instance per decode. */
class Reader {
  readonly #bytes: Uint8Array;
  readonly #end: number;
  readonly #maxDepth: number;
  readonly #bodyStart: number;
  readonly #offsetBase: number;
  #pos: number;
  /** Tags still allowed; starts at the input's length. */
  #budget: number;
  /** Re-reading a COPY target: nothing is tracked again and strings come from #copies. */
  #copying = false;
  #tracked: Map<number, Tracked> | undefined;
  #classNames: Map<number, string> | undefined;
  /** Strings read again through COPY, by position: shared, so that copies cost no memory. */
  #copies: Map<number, string> | undefined;
  #view: DataView | undefined;
  readonly #heap: HeapMeter;

  constructor(bytes: Uint8Array, maxDepth: number, maxHeapBytes: number) {
    const header = readHeader(bytes);
    this.#bytes = bytes;
    this.#end = bytes.length;
    this.#maxDepth = maxDepth;
    this.#bodyStart = header.bodyStart;
    this.#offsetBase = header.offsetBase;
    this.#pos = header.bodyStart;
    this.#budget = bytes.length;
    this.#heap = new HeapMeter(SEREAL_FORMAT, maxHeapBytes);
  }

  document(): unknown {
    if (this.#pos >= this.#end) throw malformed('the document has no body', this.#pos);
    const value = this.#value(0);
    while (this.#pos < this.#end && this.#bytes[this.#pos] === Tag.PAD) this.#pos++;
    if (this.#pos < this.#end) throw malformed('bytes after the document value', this.#pos);
    return value;
  }

  #spend(cost: number, at: number): void {
    this.#budget -= cost;
    if (this.#budget < 0)
      throw malformed('the message expands to more values than it has bytes (REFP, ALIAS or COPY)', at);
  }

  #byte(): number {
    if (this.#pos >= this.#end) throw malformed('the document ends early', this.#pos);
    return this.#bytes[this.#pos++] as number;
  }

  /** Skips PAD and WEAKEN markers (a run of them is no nesting); returns the position of the next real tag. */
  #skipMarkers(): number {
    for (;;) {
      if (this.#pos >= this.#end) throw malformed('the document ends early', this.#pos);
      const t = (this.#bytes[this.#pos] as number) & TAG_MASK;
      if (t !== Tag.PAD && t !== Tag.WEAKEN) return this.#pos;
      this.#spend(1, this.#pos);
      this.#pos++;
    }
  }

  #value(depth: number): unknown {
    const at = this.#skipMarkers();
    const tag = this.#bytes[this.#pos++] as number;
    const before = this.#budget;
    this.#spend(1, at);
    if ((tag & TRACK_FLAG) === 0 || this.#copying) return this.#item(tag & TAG_MASK, at, depth);
    this.#heap.charge(REMEMBERED, at);
    const value = this.#item(tag & TAG_MASK, at, depth);
    // Registered once finished: a REFP met before then is a cycle (or a forward reference), and is refused.
    (this.#tracked ??= new Map()).set(at, { value, cost: before - this.#budget });
    return value;
  }

  #item(t: number, at: number, depth: number): unknown {
    if (t <= Tag.POS_15) return t;
    if (t <= Tag.NEG_1) return t - 32;
    if (t >= Tag.SHORT_BINARY_0) return this.#copying ? this.#stringAt(at) : this.#latin1(t - Tag.SHORT_BINARY_0);
    if (t >= Tag.HASHREF_0) return this.#hash(t - Tag.HASHREF_0, depth, at);
    if (t >= Tag.ARRAYREF_0) return this.#array(t - Tag.ARRAYREF_0, depth, at);
    switch (t) {
      case Tag.VARINT:
        return this.#boxed(this.#integer(false), at);
      case Tag.ZIGZAG:
        return this.#boxed(this.#integer(true), at);
      case Tag.FLOAT:
        return this.#float(4);
      case Tag.DOUBLE:
        return this.#float(8);
      case Tag.UNDEF:
      case Tag.CANONICAL_UNDEF:
        return null;
      case Tag.TRUE:
      case Tag.YES:
        return true;
      case Tag.FALSE:
      case Tag.NO:
        return false;
      case Tag.BINARY:
        return this.#copying ? this.#stringAt(at) : this.#latin1(this.#length());
      case Tag.STR_UTF8:
        return this.#copying ? this.#stringAt(at) : this.#utf8(this.#length());
      case Tag.REFN:
        return this.#refn(depth, at);
      case Tag.ARRAY:
        return this.#array(this.#count(1), depth, at);
      case Tag.HASH:
        return this.#hash(this.#count(2), depth, at);
      case Tag.REFP:
      case Tag.ALIAS:
        return this.#backReference(t, at);
      case Tag.COPY:
        return this.#copy(depth, at);
      case Tag.OBJECT:
      case Tag.OBJECT_FREEZE:
        return this.#object(this.#className(), t === Tag.OBJECT_FREEZE, depth);
      case Tag.OBJECTV:
      case Tag.OBJECTV_FREEZE:
        return this.#object(this.#previousClassName(at), t === Tag.OBJECTV_FREEZE, depth);
      case Tag.LONG_DOUBLE:
      case Tag.FLOAT_128:
        throw malformed(
          `${tagName(t)} (from a Perl built with long doubles or quadmath) is not supported: ` +
            'JavaScript numbers are doubles',
          at,
        );
      case Tag.REGEXP:
        throw malformed('regular expressions (REGEXP) are not supported', at);
      default:
        throw malformed(`unexpected tag ${tagName(t)}`, at);
    }
  }

  // --- numbers

  /** A varint that must fit a double exactly: a length, count or offset. */
  #varint(): number {
    const first = this.#byte();
    if (first < 0x80) return first;
    let result = first & 0x7f;
    for (let factor = 0x80; ; factor *= 0x80) {
      const at = this.#pos;
      const byte = this.#byte();
      result += (byte & 0x7f) * factor;
      if (byte < 0x80) return result;
      if (factor >= 2 ** 42) throw malformed('varint too large for a length or an offset', at);
    }
  }

  /** VARINT or ZIGZAG: up to 64 bits, a number when a double holds it exactly, else a BigInt. */
  #integer(zigzag: boolean): number | bigint {
    let result = 0;
    let factor = 1;
    for (let i = 0; i < 7; i++, factor *= 0x80) {
      const byte = this.#byte();
      result += (byte & 0x7f) * factor;
      if (byte < 0x80) return zigzag ? (result % 2 === 0 ? result / 2 : -(result + 1) / 2) : result;
    }
    // Past 49 bits: the rest in BigInt.
    let big = BigInt(result);
    for (let shift = 49n; shift <= 63n; shift += 7n) {
      const at = this.#pos;
      const byte = this.#byte();
      big |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) {
        if (big > MAX_U64) throw malformed('integer beyond 64 bits', at);
        const value = zigzag ? (big >> 1n) ^ -(big & 1n) : big;
        return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value;
      }
    }
    throw malformed('varint longer than 10 bytes', this.#pos - 1);
  }

  /** An integer, priced: past 32 bits it is a HeapNumber or a BigInt, not a small integer. */
  #boxed(value: number | bigint, at: number): number | bigint {
    if (typeof value === 'bigint') this.#heap.charge(C.bigint, at);
    else if (value > 0x7fffffff || value < -0x80000000) this.#heap.charge(C.number, at);
    return value;
  }

  #float(size: 4 | 8): number {
    if (this.#end - this.#pos < size) throw malformed('the document ends early', this.#end);
    this.#heap.charge(C.number, this.#pos);
    const view = (this.#view ??= new DataView(this.#bytes.buffer, this.#bytes.byteOffset, this.#bytes.byteLength));
    const value = size === 4 ? view.getFloat32(this.#pos, true) : view.getFloat64(this.#pos, true);
    this.#pos += size;
    return value;
  }

  // --- strings

  #length(): number {
    const at = this.#pos;
    const length = this.#varint();
    if (length > this.#end - this.#pos) throw malformed(`a string of ${length} bytes runs past the input`, at);
    return length;
  }

  /** BINARY and SHORT_BINARY: Perl byte strings, one character per byte (as the CBOR codec reads them). */
  #latin1(length: number): string {
    const start = this.#pos;
    if (length > this.#end - start) throw malformed(`a string of ${length} bytes runs past the input`, start);
    this.#heap.charge(latin1Cost(length), start);
    this.#pos = start + length;
    return latin1Text(this.#bytes, start, start + length);
  }

  /** STR_UTF8: text (its length was checked by #length). */
  #utf8(length: number): string {
    const start = this.#pos;
    this.#heap.charge(textCost(length), start);
    this.#pos = start + length;
    return utf8Text(this.#bytes, start, start + length);
  }

  /** The string whose tag is at `at`, read once and then shared. */
  #stringAt(at: number): string {
    const copies = (this.#copies ??= new Map());
    const known = copies.get(at);
    if (known !== undefined) {
      this.#pos = this.#skipString(at);
      return known;
    }
    this.#pos = at;
    const t = this.#byte() & TAG_MASK;
    if (!isString(t)) throw malformed(`expected a string, found ${tagName(t)}`, at);
    const text =
      t === Tag.STR_UTF8
        ? this.#utf8(this.#length())
        : this.#latin1(t === Tag.BINARY ? this.#length() : t - Tag.SHORT_BINARY_0);
    this.#heap.charge(REMEMBERED, at);
    copies.set(at, text);
    return text;
  }

  /** The position after the string whose tag is at `at` (already read once, so well formed). */
  #skipString(at: number): number {
    this.#pos = at;
    const t = this.#byte() & TAG_MASK;
    if (t >= Tag.SHORT_BINARY_0) return this.#pos + t - Tag.SHORT_BINARY_0;
    const length = this.#varint();
    return this.#pos + length;
  }

  /**
   * A hash key: a string, or a COPY of an earlier one (how Perl repeats keys). A key written out is one the message
   * has not used before: in a `small` hash, a new hidden class.
   */
  #key(small: boolean): string {
    const at = this.#skipMarkers();
    const t = this.#byte() & TAG_MASK;
    this.#spend(1, at);
    if (t === Tag.COPY) return this.#copiedString(at);
    if (!isString(t)) throw malformed(`a hash key must be a string, not ${tagName(t)}`, at);
    if (this.#copying) return this.#stringAt(at);
    if (small) this.#heap.charge(C.newKey, at);
    return t === Tag.STR_UTF8
      ? this.#utf8(this.#length())
      : this.#latin1(t === Tag.BINARY ? this.#length() : t - Tag.SHORT_BINARY_0);
  }

  /** COPY (tag at `at`) of an earlier string: a hash key or a class name. */
  #copiedString(at: number): string {
    const target = this.#target(at);
    const back = this.#pos;
    const text = this.#stringAt(target);
    this.#pos = back;
    return text;
  }

  // --- references

  /** The position an offset (REFP, ALIAS, COPY, OBJECTV) points at: an earlier byte of the body. */
  #target(at: number): number {
    const offset = this.#varint();
    const target = this.#offsetBase + offset;
    if (offset === 0 || target < this.#bodyStart || target >= at)
      throw malformed(`${tagName(this.#bytes[at] as number)} offset ${offset} does not point back into the body`, at);
    return target;
  }

  #backReference(t: number, at: number): unknown {
    const target = this.#target(at);
    const entry = this.#tracked?.get(target);
    if (entry === undefined)
      throw malformed(
        `${tagName(t)} to offset ${target - this.#offsetBase}, where no finished tracked item is (a cycle?)`,
        at,
      );
    // A shared subtree costs what it would cost written out.
    this.#spend(entry.cost, at);
    return entry.value;
  }

  #copy(depth: number, at: number): unknown {
    if (this.#copying) throw malformed('a COPY inside a COPY', at);
    const target = this.#target(at);
    const back = this.#pos;
    if (isString((this.#bytes[target] as number) & TAG_MASK)) {
      const text = this.#stringAt(target);
      this.#pos = back;
      return text;
    }
    this.#pos = target;
    this.#copying = true;
    const value = this.#value(depth);
    this.#copying = false;
    this.#pos = back;
    return value;
  }

  /** A reference to an array or hash is the container itself; to anything else, the value it refers to. */
  #refn(depth: number, at: number): unknown {
    if (depth >= this.#maxDepth) throw tooDeep(this.#maxDepth, at);
    const next = this.#pos < this.#end ? (this.#bytes[this.#pos] as number) & TAG_MASK : -1;
    return this.#value(next === Tag.ARRAY || next === Tag.HASH ? depth : depth + 1);
  }

  // --- containers

  /** A count, checked against the bytes left: each entry takes at least `bytesEach` bytes. */
  #count(bytesEach: number): number {
    const at = this.#pos;
    const count = this.#varint();
    if (count * bytesEach > this.#end - this.#pos)
      throw malformed(`${count} entries declared but only ${this.#end - this.#pos} bytes follow`, at);
    return count;
  }

  #array(count: number, depth: number, at: number): unknown[] {
    if (depth >= this.#maxDepth) throw tooDeep(this.#maxDepth, at);
    this.#heap.charge(C.array + count * C.slot, at);
    const out = new Array<unknown>(count);
    for (let i = 0; i < count; i++) out[i] = this.#value(depth + 1);
    return out;
  }

  #hash(count: number, depth: number, at: number): Record<string, unknown> {
    if (depth >= this.#maxDepth) throw tooDeep(this.#maxDepth, at);
    this.#heap.charge(C.object + propertiesCost(count) + count * C.slot, at);
    const out: Record<string, unknown> = {};
    const small = count <= FAST_PROPERTIES;
    for (let i = 0; i < count; i++) {
      const key = this.#key(small);
      setKey(out, key, this.#value(depth + 1));
    }
    return out;
  }

  // --- blessed objects

  /** OBJECT's class name: a string, or a COPY of one; remembered for OBJECTV. */
  #className(): string {
    const at = this.#skipMarkers();
    const t = this.#byte() & TAG_MASK;
    this.#spend(1, at);
    let name: string;
    if (t === Tag.COPY) name = this.#copiedString(at);
    else if (isString(t))
      name = this.#copying
        ? this.#stringAt(at)
        : t === Tag.STR_UTF8
          ? this.#utf8(this.#length())
          : this.#latin1(t === Tag.BINARY ? this.#length() : t - Tag.SHORT_BINARY_0);
    else throw malformed(`a class name must be a string, not ${tagName(t)}`, at);
    this.#heap.charge(REMEMBERED, at);
    (this.#classNames ??= new Map()).set(at, name);
    return name;
  }

  /** OBJECTV's class name: an earlier OBJECT's, by offset. */
  #previousClassName(at: number): string {
    const target = this.#target(at);
    const name = this.#classNames?.get(target);
    if (name === undefined)
      throw malformed(`OBJECTV offset ${target - this.#offsetBase} names no earlier class name`, at);
    return name;
  }

  /**
   * The blessed reference after OBJECT: decoded as usual, then given its class
   * (see objects.ts); a REFP or ALIAS to the referent reads as the object too.
   */
  #object(className: string, freeze: boolean, depth: number): TaggedValue {
    const refAt = this.#skipMarkers();
    const t = (this.#bytes[refAt] as number) & TAG_MASK;
    let kind: ReferentKind;
    let referentAt = refAt;
    if (t === Tag.REFN) {
      referentAt = refAt + 1;
      const next = referentAt < this.#end ? (this.#bytes[referentAt] as number) & TAG_MASK : -1;
      kind = next === Tag.ARRAY ? 'ARRAY' : next === Tag.HASH ? 'HASH' : 'SCALAR';
    } else if (t >= Tag.ARRAYREF_0 && t <= Tag.ARRAYREF_15) kind = 'ARRAY';
    else if (t >= Tag.HASHREF_0 && t <= Tag.HASHREF_15) kind = 'HASH';
    else if (t === Tag.REFP) kind = 'REFERENCED';
    else throw malformed(`a blessed item must be a reference, not ${tagName(t)}`, refAt);
    const value = this.#value(depth);
    if (t === Tag.REFP) referentAt = this.#offsetBase + this.#peekOffset(refAt);
    const object = blessed(className, freeze, kind, value, refAt);
    this.#heap.charge(blessedCost(object), refAt);
    // Read again through COPY, the object is a copy: REFPs keep meaning the first one.
    if (this.#copying) return object;
    for (const position of [refAt, referentAt]) {
      const entry = this.#tracked?.get(position);
      if (entry !== undefined) entry.value = object;
    }
    return object;
  }

  /** The offset of the REFP at `at` (already read and checked). */
  #peekOffset(at: number): number {
    const back = this.#pos;
    this.#pos = at + 1;
    const offset = this.#varint();
    this.#pos = back;
    return offset;
  }
}

/** What blessed() built around the value: the TaggedValue, its [reftype, payload] pair or a hash's key-value list. */
function blessedCost(object: TaggedValue): number {
  const pair = object.values[0];
  const pairs = Array.isArray(pair) && pair[0] === 'HASH' && Array.isArray(pair[1]) ? pair[1].length : 0;
  return C.box + 2 * (C.array + 2 * C.slot) + (pairs > 0 ? C.array + pairs * C.slot : 0);
}
