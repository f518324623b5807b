import { CodecError } from './errors.js';
import { TaggedValue } from './tagged-value.js';

export interface SanitizeRules {
  /** The wire name, for errors. */
  readonly format: string;
  readonly maxDepth: number;
  /** How to represent a byte string: Perl sends text as bytes, so Perl-facing formats make it a latin-1 string. */
  readonly bytes: 'latin1' | 'keep';
  /** Turns a library's tag/extension object into a value, or undefined if it is not one we accept. */
  readonly tag?: (value: object) => { className: unknown; values: unknown } | undefined;
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

function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  // An own data property even for "__proto__": the key stays plain data and the prototype is untouched.
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

/**
 * Turns what a binary decoder produced (Maps, byte arrays, tag objects) into
 * the plain value model of {@link Codec}, enforcing the nesting limit.
 */
export function sanitize(value: unknown, rules: SanitizeRules, depth = 0): unknown {
  if (value === null || typeof value !== 'object') {
    if (value === undefined) return null;
    // Integers that a double holds exactly are numbers, however the peer encoded them.
    if (typeof value === 'bigint' && value >= MIN_SAFE && value <= MAX_SAFE) return Number(value);
    return value;
  }
  if (depth >= rules.maxDepth) throw new CodecError('CODEC_TOO_DEEP', rules.format, `nesting deeper than ${rules.maxDepth}`);
  if (value instanceof Uint8Array) return rules.bytes === 'latin1' ? latin1(value) : value;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = sanitize(value[i], rules, depth + 1);
    return out;
  }
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of value) setKey(out, mapKey(key, rules), sanitize(item, rules, depth + 1));
    return out;
  }
  if (value instanceof TaggedValue || value instanceof Date) return value;
  const tagged = rules.tag?.(value);
  if (tagged !== undefined) return taggedValue(tagged.className, tagged.values, rules, depth);
  if (Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) setKey(out, key, sanitize((value as Record<string, unknown>)[key], rules, depth + 1));
    return out;
  }
  throw new CodecError('CODEC_MALFORMED', rules.format, `unsupported value of type ${value.constructor?.name ?? 'unknown'}`);
}

function mapKey(key: unknown, rules: SanitizeRules): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'bigint' || typeof key === 'boolean') return String(key);
  if (key instanceof Uint8Array) return latin1(key);
  throw new CodecError('CODEC_MALFORMED', rules.format, 'map key is not a string or number');
}

/** Builds a TaggedValue from `[className, ...values]`, checking its shape. */
export function taggedValue(className: unknown, values: unknown, rules: SanitizeRules, depth: number): TaggedValue {
  const name = className instanceof Uint8Array ? latin1(className) : className;
  if (typeof name !== 'string' || !Array.isArray(values)) {
    throw new CodecError('CODEC_MALFORMED', rules.format, 'a tagged value needs a class name and an array');
  }
  return new TaggedValue(name, sanitize(values, rules, depth + 1) as unknown[]);
}
