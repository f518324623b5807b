import {
  FAST_PROPERTIES,
  formatError,
  HEAP_COST as C,
  latin1Cost,
  mapCost,
  propertiesCost,
  SeenKeys,
  textCost,
} from '@rpc/codec';

const FORMAT = 'CBOR';
const PERL_OBJECT = 26;

/**
 * Heap bytes per input byte in the worst case: an empty map (0xa0) is a Map, the object the walk copies it to and
 * their slots, 264 bytes from one byte.
 */
export const WORST_PER_BYTE = 272;

/** Values an indefinite-length array or map owes: more than any input holds, and even, so that keys stay keys. */
const INDEFINITE = 2 ** 52;

enum Kind {
  Array,
  SmallMap,
  LargeMap,
  /** Its size unknown until its break: each entry priced as in a large map. */
  IndefiniteMap,
}

/**
 * cbor-x's own tags that make it build records (objects whose keys an earlier tag defined) or bundled strings: no
 * peer of @rpc sends them and the walk refuses what they build, but only after cbor-x built it, so a message
 * holding one is priced at its worst.
 */
function cborxOwn(tag: number): boolean {
  return tag === 105 || tag >= 0xdff9;
}

/**
 * The pre-scan of CBOR: one pass over the heads (string contents skipped) that prices what cbor-x builds (Maps,
 * views of byte strings, Tags) and what the walk after it builds (plain objects, copied arrays, latin-1 strings),
 * since both are alive at once, without building anything. It tracks only the values each open array or map still
 * owes, to tell map keys (priced by whether the message used them before). Shared values (tags 28/29, 6) are
 * priced once here; the walk counts the copies it makes of them.
 */
export class CborHeapScan {
  readonly #keys = new SeenKeys();
  readonly #owed: number[] = [];
  readonly #kind: Kind[] = [];

  constructor(readonly maxDepth: number) {}

  /** The estimate for `bytes`, returned as soon as it passes `limit`. */
  scan(bytes: Uint8Array, limit: number): number {
    this.#keys.reset(bytes);
    const owed = this.#owed;
    const kinds = this.#kind;
    const end = bytes.length;
    let heap = 0;
    let depth = 0;
    let at = 0;
    let taggedArray = false; // the next array is a Perl object's [class, ...values]: the walk slices it
    while (at < end && heap <= limit) {
      const start = at;
      const head = bytes[at++] as number;
      const major = head >> 5;
      const info = head & 0x1f;
      let arg = info;
      if (info >= 24 && info <= 27) {
        const size = 1 << (info - 24);
        if (end - at < size) break; // truncated: cbor-x refuses it
        arg = 0;
        for (let i = 0; i < size; i++) arg = arg * 256 + (bytes[at + i] as number);
        at += size;
      } else if (info >= 28) {
        if (info !== 31) break; // reserved: cbor-x refuses it
        arg = -1; // indefinite length, or a break
      }
      if (major === 7 && arg === -1) {
        if (depth === 0 || (owed[depth - 1] as number) < INDEFINITE / 2) break; // a stray break: refused
        depth--;
      } else if (major === 6) {
        // A tag is not a value of its own: what it tags is. The library's tag object and what the walk makes of it.
        if (cborxOwn(arg)) return Math.max(heap, end * WORST_PER_BYTE);
        heap += 2 * C.box;
        taggedArray = arg === PERL_OBJECT;
        continue;
      } else {
        let key = false;
        let kind = Kind.Array;
        if (depth > 0) {
          const left = owed[depth - 1] as number;
          kind = kinds[depth - 1] as Kind;
          key = kind !== Kind.Array && left % 2 === 0;
          owed[depth - 1] = left - 1;
        }
        // Each value is referred to twice: from what cbor-x built, and from the walk's copy.
        // An indefinite map's entries: a Map grown to twice their number at worst, and a large object's properties.
        let cost = key ? (kind === Kind.IndefiniteMap ? 56 + C.dictionaryProperty : 0) : 2 * C.slot;
        let count = -2; // items of an array, entries of a map
        let payload = 0;
        switch (major) {
          case 0:
          case 1: // integers past 31 bits are numbers, past 32 BigInts that the walk makes numbers when they fit
            if (info === 26 && arg > 0x7fffffff) cost += 2 * C.number;
            else if (info === 27) cost += C.bigint + C.number;
            break;
          case 2: // a byte string: cbor-x's view, and the walk's latin-1 string
          case 3: // a text string, shared by both
            if (arg < 0) return heap; // cbor-x refuses indefinite strings
            payload = arg;
            if (payload > end - at) return heap; // runs past the input: refused
            if (major === 2) cost += C.view;
            if (!key) cost += major === 2 ? latin1Cost(payload) : textCost(payload);
            else {
              const small = kind === Kind.SmallMap;
              const seen = this.#keys.seen(at, at + payload);
              cost += (major === 2 ? latin1Cost(payload) : textCost(payload)) + (small && !seen ? C.newKey : 0);
            }
            break;
          case 4:
            count = arg;
            cost += arg < 0 ? C.grownArray + C.array : 2 * C.array;
            if (taggedArray && arg > 0) cost += C.array + arg * C.slot;
            break;
          case 5:
            count = arg;
            cost += mapCost(arg) + C.object + (arg < 0 ? 0 : propertiesCost(arg));
            break;
          case 7: // floats (cbor-x's number, and the walk's copy of it); simple values live in their slot
            if (info >= 25) cost += 2 * C.number;
        }
        if (key && major !== 2 && major !== 3) cost += C.newKey + C.string; // a key that is not a string
        taggedArray = false;
        at += payload;
        heap += cost;
        if (count > end - at) break; // more values than bytes left: refused
        if (count === -1 || count > 0) {
          if (depth >= this.maxDepth) throw tooDeep(this.maxDepth, start);
          const map = major === 5;
          owed[depth] = count < 0 ? INDEFINITE : map ? 2 * count : count;
          kinds[depth] = !map
            ? Kind.Array
            : count < 0
              ? Kind.IndefiniteMap
              : count <= FAST_PROPERTIES
                ? Kind.SmallMap
                : Kind.LargeMap;
          depth++;
        }
      }
      while (depth > 0 && owed[depth - 1] === 0) depth--;
      if (depth === 0) break; // the value is complete: anything after it is refused by cbor-x
    }
    return heap;
  }
}

const tooDeep = (maxDepth: number, offset: number) =>
  formatError('CODEC_TOO_DEEP', FORMAT, `nesting deeper than ${maxDepth}`, { offset });
