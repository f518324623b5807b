import { formatError, TaggedValue } from '@rpc/codec';

/** True when JSON.stringify alone cannot write `value`: it holds a tag, a BigInt, bytes, a Map or a Set. */
export function needsWriter(value: unknown, depth = 0): boolean {
  if (value === null || typeof value !== 'object') return typeof value === 'bigint';
  if (depth > 64) return true; // let the writer enforce the limit and report cycles
  if (value instanceof TaggedValue || value instanceof Uint8Array || value instanceof Map || value instanceof Set)
    return true;
  if (Array.isArray(value)) {
    for (const item of value) if (needsWriter(item, depth + 1)) return true;
    return false;
  }
  for (const key in value) if (needsWriter((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

/**
 * Writes JSON as JSON::XS (allow_tags) would: tags as `("Class")[...]`,
 * BigInt as exact digits, bytes as a latin-1 string (a Perl byte string).
 */
export function writeJson(value: unknown, maxDepth: number, depth = 0): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return 'null';
  }
  if (value === null) return 'null';
  if (depth >= maxDepth) throw formatError('CODEC_UNENCODABLE', 'JSON', `nesting deeper than ${maxDepth} (or a cycle)`);
  const next = depth + 1;
  if (value instanceof TaggedValue) {
    return `(${JSON.stringify(value.className)})[${value.values.map((v) => writeJson(v, maxDepth, next)).join(',')}]`;
  }
  if (value instanceof Uint8Array) {
    let text = '';
    for (let i = 0; i < value.length; i++) text += String.fromCharCode(value[i] as number);
    return JSON.stringify(text);
  }
  // Its ISO string, or null when invalid, as JSON.stringify writes it.
  if (value instanceof Date) return JSON.stringify(value);
  if (Array.isArray(value) || value instanceof Set)
    return `[${[...value].map((v) => writeJson(v, maxDepth, next)).join(',')}]`;
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value as object);
  const parts: string[] = [];
  for (const [key, item] of entries) {
    if (item === undefined) continue; // as JSON.stringify
    parts.push(`${JSON.stringify(String(key))}:${writeJson(item, maxDepth, next)}`);
  }
  return `{${parts.join(',')}}`;
}
