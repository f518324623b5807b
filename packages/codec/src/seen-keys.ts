/** Slots of the table: a power of two. */
const SIZE = 4096;
/** Long keys are hashed by their length and this many first bytes (and compared in full). */
const HASHED = 32;

/**
 * The map keys a message has used so far, by their bytes, for the pre-scans: a key met again costs a property, a new
 * one a hidden class ({@link HEAP_COST}.newKey). A fixed table that allocates nothing per key; a key pushed out by
 * another that hashed to its slot counts as new when met again, which only makes an estimate higher.
 */
export class SeenKeys {
  readonly #start = new Int32Array(SIZE);
  readonly #length = new Int32Array(SIZE);
  #bytes: Uint8Array = new Uint8Array(0);

  /** Forgets every key, before scanning `bytes` (keys are kept as positions in it). */
  reset(bytes: Uint8Array): void {
    this.#bytes = bytes;
    this.#length.fill(-1);
  }

  /** Whether the key in bytes [start, end) was met before in this message; remembers it either way. */
  seen(start: number, end: number): boolean {
    const bytes = this.#bytes;
    const length = end - start;
    let hash = length;
    const last = Math.min(end, start + HASHED);
    for (let i = start; i < last; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
    const slot = (hash ^ (hash >>> 16)) & (SIZE - 1);
    if (this.#length[slot] === length) {
      const other = this.#start[slot] as number;
      let i = 0;
      while (i < length && bytes[other + i] === bytes[start + i]) i++;
      if (i === length) return true;
    }
    this.#start[slot] = start;
    this.#length[slot] = length;
    return false;
  }
}
