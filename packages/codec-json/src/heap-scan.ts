import { FAST_PROPERTIES, formatError, HEAP_COST as C, SeenKeys } from '@rpc/codec';

/**
 * Heap bytes per input byte in the worst case: a tagged value `("")[]` is a TaggedValue and an array grown by
 * push, about 300 bytes from 6; `{"ab":0}` under a new key is an object and a hidden class, 300 from 9.
 */
export const WORST_PER_BYTE = 64;

/** The longest string V8 makes on 64-bit machines (2^29 - 24 characters): the JSON text must be one. */
export const MAX_TEXT_LENGTH = 2 ** 29 - 24;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

/** Whitespace JSON allows between tokens. */
function isSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** A byte that continues a number token. */
function inNumber(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || b === 0x2e || b === 0x65 || b === 0x45 || b === 0x2b || b === 0x2d;
}

/**
 * The pre-scan of JSON: one pass over the text that prices what JSON.parse (or the tagged parser) builds, without
 * building anything: the text itself, objects (a property each, a hidden class for a key not met before), arrays,
 * strings, numbers that are not small integers, tagged values. It tracks the keys of each open object, since one of
 * more than {@link FAST_PROPERTIES} keys becomes a hash table.
 */
export class JsonHeapScan {
  readonly #keys = new SeenKeys();
  /** Per open object its keys so far; -1 for an array. */
  readonly #open: number[] = [];

  constructor(readonly maxDepth: number) {}

  /** The estimate for `bytes`, returned as soon as it passes `limit`. */
  scan(bytes: Uint8Array, limit: number): number {
    const keys = this.#keys;
    const open = this.#open;
    keys.reset(bytes);
    const end = bytes.length;
    let heap = C.string + end; // the text JSON.parse reads
    let latin1 = false; // text beyond ASCII: joined from pieces, then flattened, so held twice
    let depth = 0;
    let values = 0;
    let arrays = 0;
    let tagged = false;
    let i = 0;
    while (i < end && heap <= limit) {
      const b = bytes[i] as number;
      if (b === QUOTE) {
        let j = i + 1;
        let wide = false; // an escape \uXXXX may be a character past U+00FF: two bytes each then
        let high = 0;
        for (; j < end; j++) {
          const c = bytes[j] as number;
          high |= c;
          if (c === QUOTE) break;
          if (c === BACKSLASH) wide ||= bytes[++j] === 0x75;
        }
        if (j >= end) break; // never ends: refused
        if (high >= 0x80 && !latin1) {
          latin1 = true;
          heap += end + (end >>> 7);
        }
        const length = j - i - 1; // characters, at most
        const string = C.string + (wide ? 2 * length : length);
        let k = j + 1;
        while (isSpace(bytes[k])) k++;
        if (bytes[k] !== COLON) {
          heap += C.slot + string;
          values++;
        } else {
          let count = 0;
          if (depth > 0) open[depth - 1] = count = (open[depth - 1] as number) + 1;
          const seen = keys.seen(i + 1, j);
          if (count <= FAST_PROPERTIES) heap += C.property + (seen ? 0 : C.newKey + string);
          else {
            // The object has just become a hash table: its first keys cost as much as the rest.
            if (count === FAST_PROPERTIES + 1) heap += (C.dictionaryProperty - C.property) * FAST_PROPERTIES;
            heap += C.dictionaryProperty + (seen ? 0 : string);
          }
          j = k;
        }
        i = j + 1;
        continue;
      }
      if (b === 0x7b || b === 0x5b) {
        // { or [
        if (depth >= this.maxDepth)
          throw formatError('CODEC_TOO_DEEP', 'JSON', `nesting deeper than ${this.maxDepth}`, { offset: i });
        heap += C.slot + (b === 0x7b ? C.object : C.array);
        open[depth++] = b === 0x7b ? 0 : -1;
        values++;
        if (b === 0x5b) arrays++;
      } else if (b === 0x7d || b === 0x5d) {
        if (depth > 0) depth--;
      } else if (b === 0x28) {
        tagged = true; // ("Class")[...]: a TaggedValue; its class name is a string, its values an array
        heap += C.box;
      } else if (b === 0x2d || (b >= 0x30 && b <= 0x39)) {
        let j = i + 1;
        let small = true; // V8 keeps integers of up to 9 digits in their slot
        while (j < end && inNumber(bytes[j] as number)) {
          const c = bytes[j] as number;
          if (c === 0x2e || c === 0x65 || c === 0x45) small = false;
          j++;
        }
        if (!small || j - i > 9) heap += C.number;
        heap += C.slot;
        values++;
        i = j;
        continue;
      } else if (b === 0x74 || b === 0x66 || b === 0x6e) {
        heap += C.slot; // true, false, null
        values++;
      }
      i++;
    }
    // The tagged parser grows every array by push.
    if (tagged) heap += arrays * (C.grownArray - C.array) + values * (C.grownItem - C.slot);
    return heap;
  }
}
