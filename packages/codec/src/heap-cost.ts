/**
 * Heap bytes V8 spends on each kind of value a decoder builds: Node 20 on x64 (no pointer compression), measured
 * with process.memoryUsage() around 200,000 of each after gc() (--expose-gc), rounded up so that an estimate errs
 * high. The pre-scans of the codec packages and the walks that count as they build price a message with these.
 */
export const HEAP_COST = {
  /** A reference to a value: an array element, or the value of a property or a Map entry. */
  slot: 8,
  /** An empty plain object (56, and what building many of them costs besides); its first 4 properties live in it. */
  object: 64,
  /** A property of an object of up to {@link FAST_PROPERTIES} properties, besides its value's slot: room to grow. */
  property: 8,
  /** A property of a larger object, which V8 keeps as a hash table (a dictionary). */
  dictionaryProperty: 48,
  /**
   * What a property of a small object under a key the message has not used before adds: a new hidden class with its
   * descriptors (about 200 bytes for 1-key objects, each with its own key). In a large object a new key costs its
   * internalized string only.
   */
  newKey: 200,
  /** An array and the header of its elements store, each element being a slot. */
  array: 48,
  /** An array grown element by element (an indefinite-length one): its store starts at 17 slots, then grows by half. */
  grownArray: 184,
  /** An element of a grown array, in place of a slot: the slot and the spare room growing by half leaves. */
  grownItem: 16,
  /** A string's header, rounded up; its characters take one byte each, or two once one is past U+00FF. */
  string: 24,
  /** A number that is not a small integer: a HeapNumber (16), and what building arrays of them costs besides. */
  number: 24,
  /** A BigInt of up to 64 bits. */
  bigint: 40,
  /** A Uint8Array viewing the input (96, and up to 106 as msgpackr makes them). */
  view: 112,
  /** A Uint8Array with its own buffer, without its bytes. */
  buffer: 208,
  /** A small object of a class: a Date (96, 112 as msgpackr makes them), a library's tag object, a TaggedValue. */
  box: 112,
} as const;

/** Up to this many properties an object keeps its fast layout (measured: one of 17 did, one of 33 did not). */
export const FAST_PROPERTIES = 16;

/** The properties of a plain object of `entries` keys, keys already met before. */
export function propertiesCost(entries: number): number {
  return entries * (entries <= FAST_PROPERTIES ? HEAP_COST.property : HEAP_COST.dictionaryProperty);
}

/** A string decoded from `length` bytes of UTF-8: at most one character per byte, two bytes each in the worst case. */
export function textCost(length: number): number {
  return HEAP_COST.string + 2 * length;
}

/** A string of one character per byte (latin-1), and the rope of 8 KiB pieces a long one is joined from. */
export function latin1Cost(length: number): number {
  return HEAP_COST.string + length + (length >>> 7);
}

/**
 * A Map of `entries` entries: the form cbor-x and msgpackr build before `@rpc` turns it into a plain object. V8's
 * ordered hash table holds 3 words, 3 per entry and one per 2 entries, for a capacity that doubles from 4: 184
 * bytes empty, 296 with 5 entries, 520 with 9 (as measured).
 */
export function mapCost(entries: number): number {
  let capacity = 4;
  while (capacity < entries) capacity *= 2;
  return 48 + 8 * (3 + 3.5 * capacity);
}
