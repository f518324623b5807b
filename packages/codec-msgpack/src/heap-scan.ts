import { FAST_PROPERTIES, formatError, HEAP_COST as C, mapCost, propertiesCost, SeenKeys, textCost } from '@rpc/codec';

const FORMAT = 'MSGP';
const TAGGED = 26;
/** Extension -1: a timestamp, read as a Date. */
const TIMESTAMP = 0xff;

enum Kind {
  Array,
  SmallMap,
  LargeMap,
}

/** What follows a header: bytes of text, a binary or an extension. */
enum Payload {
  None,
  Text,
  Bin,
  Ext,
}
/**
 * Extension types msgpackr reads itself, whatever the options: records (which turn bytes 0x40-0x7f into objects),
 * bundled strings, errors, sets, typed arrays, regular expressions, structured clones. No @rpc peer sends them and
 * the walk refuses what they build, but only after msgpackr built it: a message holding one is priced at its worst.
 */
const MSGPACKR_TYPES = new Set([0x42, 0x62, 0x65, 0x69, 0x70, 0x72, 0x73, 0x74, 0x78]);

/**
 * Heap bytes per input byte in the worst case, by the form maps are decoded to. Objects: an empty map (0x80) is an
 * object and its slot, 64 bytes from one byte; a kept extension (fixext 1, 3 bytes) a box and a buffer, about 100.
 * Maps (when a key could be `__proto__`): the Map, then the object the walk copies it to, 256 from one byte.
 */
export const WORST_PER_BYTE = { objects: 112, maps: 272 } as const;

/**
 * The pre-scan of MessagePack: one pass over the headers (payloads skipped, extension-26 payloads scanned as
 * the values they hold) that prices what msgpackr and the walk after it will build, without building anything.
 * Tracks only what it must: the values each open array or map still owes, to tell map keys (priced by whether the
 * message used them before) and the end of the value (msgpackr turns a whole value into JSON to report bytes after
 * it, so those are refused here first).
 */
export class MsgpackHeapScan {
  readonly #keys = new SeenKeys();
  /** Per open array or map: the values it still owes (a map two per entry), and its kind. */
  readonly #owed: number[] = [];
  readonly #kind: Kind[] = [];
  #bytes: Uint8Array = new Uint8Array(0);
  #heap = 0;
  #limit = 0;

  constructor(readonly maxDepth: number) {}

  /**
   * The estimate for `bytes`, returned as soon as it passes `limit`; `maps` when maps decode to Maps, which the walk
   * then copies with everything else.
   */
  scan(bytes: Uint8Array, limit: number, maps: boolean): number {
    this.#bytes = bytes;
    this.#heap = 0;
    this.#limit = limit;
    this.#keys.reset(bytes);
    const end = this.#values(0, bytes.length, 0, maps, maps, false);
    if (end < bytes.length && this.#heap <= limit)
      throw formatError('CODEC_MALFORMED', FORMAT, 'bytes after the value', { offset: end });
    this.#bytes = new Uint8Array(0);
    return this.#heap;
  }

  /**
   * Prices the values in [at, end), nested `base` deep; returns where the first complete value ends (the message's
   * end, when it is the whole message), or where it stopped: at the limit, or at bytes the decoder will refuse.
   * `maps`: maps decode to Maps, then objects; `copies`: the walk copies arrays (and their slots and numbers) too;
   * `sliced`: the first array is a tagged value's [className, ...values], which the walk slices.
   */
  #values(at: number, end: number, base: number, maps: boolean, copies: boolean, sliced: boolean): number {
    const bytes = this.#bytes;
    const owed = this.#owed;
    const kinds = this.#kind;
    const slot = copies ? 2 * C.slot : C.slot;
    let depth = base;
    while (at < end && this.#heap <= this.#limit) {
      const start = at;
      let key = false;
      let small = false; // a key of a map small enough for hidden classes
      if (depth > base) {
        const left = owed[depth - 1] as number;
        const kind = kinds[depth - 1] as Kind;
        key = kind !== Kind.Array && left % 2 === 0;
        small = kind === Kind.SmallMap;
        owed[depth - 1] = left - 1;
      }
      const b = bytes[at++] as number;
      let cost = key ? 0 : slot;
      let count = -1; // items of an array, entries of a map
      let map = false;
      let payload = 0; // bytes of a string, binary or extension
      let kind = Payload.None;
      if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) {
        // small integers, nil and booleans live in their slot
      } else if (b <= 0x8f) {
        count = b & 0x0f;
        map = true;
      } else if (b <= 0x9f) count = b & 0x0f;
      else if (b <= 0xbf) {
        payload = b & 0x1f;
        kind = Payload.Text;
      } else {
        const size = LENGTH_BYTES[b] as number;
        if (end - at < size) return end; // truncated: msgpackr refuses it
        const length = readLength(bytes, at, size);
        at += size;
        if (b >= 0xc4 && b <= 0xc6) {
          payload = length;
          kind = Payload.Bin;
        } else if ((b >= 0xc7 && b <= 0xc9) || (b >= 0xd4 && b <= 0xd8)) {
          payload = (b >= 0xd4 ? 1 << (b - 0xd4) : length) + 1; // the type byte, then the data
          kind = Payload.Ext;
          if (MSGPACKR_TYPES.has(bytes[at] as number)) {
            this.#heap = Math.max(this.#heap, bytes.length * WORST_PER_BYTE.maps);
            return end;
          }
        } else if (b >= 0xd9 && b <= 0xdb) {
          payload = length;
          kind = Payload.Text;
        } else if (b === 0xdc || b === 0xdd) count = length;
        else if (b === 0xde || b === 0xdf) {
          count = length;
          map = true;
        } else if (b === 0xca || b === 0xcb || (b === 0xce && (bytes[at] as number) >= 0x80)) {
          cost += copies ? 2 * C.number : C.number; // floats, and integers past 31 bits, are HeapNumbers
          at += FIXED_BYTES[b] as number;
        } else if (b === 0xcf || b === 0xd3) {
          cost += C.bigint + C.number; // a BigInt, made a number by the walk when it fits
          at += 8;
        } else at += FIXED_BYTES[b] as number;
      }
      if (payload > end - at) return end; // runs past the input: msgpackr refuses it
      if (kind === Payload.Text) {
        if (!key) cost += textCost(payload);
        else if (this.#keys.seen(at, at + payload)) cost += maps ? textCost(payload) : 0;
        else cost += (small ? C.newKey : 0) + textCost(payload);
      } else {
        if (key) cost += C.newKey + C.string; // a key that is not a string: written out as one
        if (kind === Payload.Bin) cost += C.view;
        else if (kind === Payload.Ext) {
          if (bytes[at] === TAGGED) {
            // RawTagged and its payload view, then the TaggedValue; the payload's maps decode to Maps.
            this.#heap += cost + 2 * C.box + C.view;
            if (depth >= this.maxDepth) throw tooDeep(this.maxDepth, start);
            this.#values(at + 1, at + payload, depth + 1, true, copies, true);
            cost = 0;
          } else if (bytes[at] === TIMESTAMP) cost += C.box;
          else cost += C.box + C.buffer + payload; // a kept MsgpackExtension and its copy
        }
      }
      at += payload;
      if (count > end - at) return end; // more values than bytes left: msgpackr refuses it
      if (count >= 0) {
        if (map) cost += (maps ? mapCost(count) : 0) + C.object + propertiesCost(count);
        else cost += (copies ? 2 : 1) * C.array + (sliced ? C.array + count * C.slot : 0);
        sliced = false;
        if (count > 0) {
          if (depth >= this.maxDepth) throw tooDeep(this.maxDepth, start);
          owed[depth] = map ? 2 * count : count;
          kinds[depth] = !map ? Kind.Array : count <= FAST_PROPERTIES ? Kind.SmallMap : Kind.LargeMap;
          depth++;
        }
      }
      this.#heap += cost;
      while (depth > base && owed[depth - 1] === 0) depth--;
      if (depth === base && base === 0) return at;
    }
    return at;
  }
}

const tooDeep = (maxDepth: number, offset: number) =>
  formatError('CODEC_TOO_DEEP', FORMAT, `nesting deeper than ${maxDepth}`, { offset });

/** By header byte: the bytes of the length or count that follows it (bin, ext, str, array, map). */
// biome-ignore format: one family (8, 16, 32 bits) a line
const LENGTH_BYTES = byteTable([
  [0xc4, 1], [0xc5, 2], [0xc6, 4],
  [0xc7, 1], [0xc8, 2], [0xc9, 4],
  [0xd9, 1], [0xda, 2], [0xdb, 4],
  [0xdc, 2], [0xdd, 4],
  [0xde, 2], [0xdf, 4],
]);

/** By header byte: the bytes of the number that follows it. */
// biome-ignore format: one family a line
const FIXED_BYTES = byteTable([
  [0xca, 4], [0xcb, 8],
  [0xcc, 1], [0xcd, 2], [0xce, 4], [0xcf, 8],
  [0xd0, 1], [0xd1, 2], [0xd2, 4], [0xd3, 8],
]);

function byteTable(sizes: ReadonlyArray<readonly [number, number]>): Uint8Array {
  const table = new Uint8Array(256);
  for (const [header, size] of sizes) table[header] = size;
  return table;
}

function readLength(bytes: Uint8Array, at: number, size: number): number {
  let length = 0;
  for (let i = 0; i < size; i++) length = length * 256 + (bytes[at + i] as number);
  return length;
}
