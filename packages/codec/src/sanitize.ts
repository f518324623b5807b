import { DEFAULT_MAX_HEAP_BYTES } from './codec.js';
import { formatError } from './errors.js';
import { tooLarge } from './heap-budget.js';
import { HEAP_COST, latin1Cost, propertiesCost } from './heap-cost.js';
import { TaggedValue } from './tagged-value.js';

/** What {@link sanitize} accepts from one format's decoder, and how it builds the plain value. */
export interface SanitizeRules {
  /** The wire name, for errors. */
  readonly format: string;
  /** Deepest nesting accepted (the codec's maxDepth); deeper is CODEC_TOO_DEEP. */
  readonly maxDepth: number;
  /** How to represent a byte string: Perl sends text as bytes, so Perl-facing formats make it a latin-1 string. */
  readonly bytes: 'latin1' | 'keep';
  /** Turns a library's tag/extension object into a value, or undefined if it is not one we accept. */
  readonly tag?: (value: object) =>
    | {
        /** The class name as decoded: a string or a byte string (read as latin-1), else CODEC_MALFORMED. */
        className: unknown;
        /** The values as decoded: an array, else CODEC_MALFORMED. */
        values: unknown;
      }
    | undefined;
  /** Objects of the format's own value classes, passed on as they are (MessagePack extensions). */
  readonly keep?: (value: object) => boolean;
  /**
   * The heap the walk may spend on what it builds (maxHeapBytes): copies, objects made from Maps, latin-1 strings.
   * A pre-scan prices a message as written; this catches what shared references expand it into.
   */
  readonly maxHeapBytes?: number;
}

const latin1Chunk = 0x2000;
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** One byte per character, as Perl reads a byte string. */
export function latin1(bytes: Uint8Array): string {
  if (bytes.length <= latin1Chunk) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  let out = '';
  for (let at = 0; at < bytes.length; at += latin1Chunk) {
    out += String.fromCharCode.apply(null, bytes.subarray(at, at + latin1Chunk) as unknown as number[]);
  }
  return out;
}

/** Sets `key` as an own data property, "__proto__" included: the key stays plain data and no prototype changes. */
export function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

/**
 * Turns what a binary decoder produced (Maps, byte arrays, tag objects) into
 * the plain value model of {@link Codec}, enforcing the nesting limit, a
 * node budget and a heap budget: without shared references every value costs
 * at least one input byte, so a tree larger than its input is a peer
 * amplifying through references (CBOR tags 28/29 and 6, MessagePack
 * structured clone) and is refused; and what the walk builds is priced as it
 * goes (a byte string shared a thousand times becomes a thousand strings), and
 * refused with CODEC_TOO_LARGE past maxHeapBytes.
 */
export function sanitize(value: unknown, rules: SanitizeRules, inputBytes: number): unknown {
  return new Walk(rules, inputBytes + 1, false).value(value, 0);
}

/**
 * {@link sanitize} for a decoder that already built plain objects: the same
 * checks and conversions, made in place instead of copying every object.
 * Only for input in which no key can be `__proto__` (see {@link mentionsProto}).
 */
export function sanitizeInPlace(value: unknown, rules: SanitizeRules, inputBytes: number): unknown {
  return new Walk(rules, inputBytes + 1, true).value(value, 0);
}

const PROTO = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f]; // "__proto__"

/** Whether the ASCII text `__proto__` occurs anywhere in `bytes`: if not, no decoded key can be it. */
export function mentionsProto(bytes: Uint8Array): boolean {
  const last = bytes.length - PROTO.length;
  for (let at = bytes.indexOf(0x5f); at >= 0 && at <= last; at = bytes.indexOf(0x5f, at + 1)) {
    let k = 1;
    while (k < PROTO.length && bytes[at + k] === PROTO[k]) k++;
    if (k === PROTO.length) return true;
  }
  return false;
}

class Walk {
  #budget: number;
  /** Heap bytes the walk may still spend. */
  #heap: number;

  constructor(
    readonly rules: SanitizeRules,
    budget: number,
    readonly inPlace: boolean,
  ) {
    this.#budget = budget;
    this.#heap = rules.maxHeapBytes ?? DEFAULT_MAX_HEAP_BYTES;
  }

  #charge(bytes: number): void {
    if ((this.#heap -= bytes) < 0) {
      const limit = this.rules.maxHeapBytes ?? DEFAULT_MAX_HEAP_BYTES;
      throw tooLarge(this.rules.format, limit - this.#heap, limit);
    }
  }

  value(value: unknown, depth: number): unknown {
    const rules = this.rules;
    if (--this.#budget < 0) {
      throw formatError(
        'CODEC_MALFORMED',
        rules.format,
        'the message expands to more values than it has bytes (shared references)',
      );
    }
    if (value === null || typeof value !== 'object') {
      if (value === undefined) return null;
      // Integers that a double holds exactly are numbers, however the peer encoded them.
      if (typeof value === 'bigint' && value >= MIN_SAFE && value <= MAX_SAFE) {
        this.#charge(HEAP_COST.number);
        return Number(value);
      }
      return value;
    }
    if (depth >= rules.maxDepth)
      throw formatError('CODEC_TOO_DEEP', rules.format, `nesting deeper than ${rules.maxDepth}`);
    if (value instanceof Uint8Array) {
      if (rules.bytes === 'keep') return value;
      this.#charge(latin1Cost(value.length));
      return latin1(value);
    }
    if (Array.isArray(value)) {
      if (!this.inPlace) this.#charge(HEAP_COST.array + HEAP_COST.slot * value.length);
      const out = this.inPlace ? value : new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) out[i] = this.value(value[i], depth + 1);
      return out;
    }
    if (value instanceof Map) {
      this.#charge(HEAP_COST.object + propertiesCost(value.size));
      const out: Record<string, unknown> = {};
      for (const [key, item] of value) setKey(out, this.key(key), this.value(item, depth + 1));
      return out;
    }
    if (value instanceof Date || rules.keep?.(value)) return value;
    const tagged = rules.tag?.(value);
    if (tagged !== undefined) return this.tagged(tagged.className, tagged.values, depth);
    if (Object.getPrototypeOf(value) === Object.prototype) {
      const source = value as Record<string, unknown>;
      if (this.inPlace) {
        // for-in, not Object.keys: no array per object; a decoder's plain objects have only own keys.
        for (const key in source) {
          const item = source[key];
          const clean = this.value(item, depth + 1);
          if (clean !== item) source[key] = clean;
        }
        return source;
      }
      const keys = Object.keys(source);
      this.#charge(HEAP_COST.object + propertiesCost(keys.length));
      const out: Record<string, unknown> = {};
      for (const key of keys) setKey(out, key, this.value(source[key], depth + 1));
      return out;
    }
    throw formatError(
      'CODEC_MALFORMED',
      rules.format,
      `unsupported value of type ${value.constructor?.name ?? 'unknown'}`,
    );
  }

  /** A TaggedValue from `[className, ...values]`, checking its shape. */
  tagged(className: unknown, values: unknown, depth: number): TaggedValue {
    const name = className instanceof Uint8Array ? this.key(className) : className;
    if (typeof name !== 'string' || !Array.isArray(values)) {
      throw formatError('CODEC_MALFORMED', this.rules.format, 'a tagged value needs a class name and an array');
    }
    this.#charge(HEAP_COST.box);
    return new TaggedValue(name, this.value(values, depth + 1) as unknown[]);
  }

  /** A map key (or class name) as a string: byte strings as latin-1, numbers and booleans as written. */
  key(key: unknown): string {
    if (typeof key === 'string') return key;
    if (typeof key === 'number' || typeof key === 'bigint' || typeof key === 'boolean') {
      this.#charge(HEAP_COST.string);
      return String(key);
    }
    if (key instanceof Uint8Array) {
      this.#charge(latin1Cost(key.length));
      return latin1(key);
    }
    throw formatError('CODEC_MALFORMED', this.rules.format, 'map key is not a string or number');
  }
}
