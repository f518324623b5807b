import { types } from 'node:util';
import { TaggedValue } from '@rpc/codec';
import { MsgpackExtension } from '@rpc/mprpc';
import type { TextSink } from './io.js';
import { toBase64 } from './json-args.js';

/**
 * `value` as plain JSON: what JSON has no word for is spelled out, so that nothing is lost silently. A remote object
 * becomes `{"$class": CLASS, "$oid": OID}`, bytes `{"$bytes": BASE64}`, a MessagePack extension `{"$ext": TYPE,
 * "data": BASE64}`, a Perl object the codec could not make remote `{"$tagged": CLASS, "values": [...]}`; a big
 * integer is a number while exact, else a string of its digits; undefined is null; a Map an object.
 */
export function toJson(value: unknown, seen: Set<object> = new Set()): unknown {
  switch (typeof value) {
    case 'undefined':
      return null;
    case 'bigint':
      return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'function':
    case 'symbol':
      return String(value);
    case 'object':
      break;
    default:
      return value;
  }
  if (value === null) return null;
  if (types.isProxy(value)) {
    const remote = value as { oid?: unknown; className?: unknown };
    if (typeof remote.oid === 'string') return { $class: remote.className, $oid: remote.oid };
  }
  if (value instanceof Uint8Array) return { $bytes: toBase64(value) };
  if (value instanceof MsgpackExtension) return { $ext: value.type, data: toBase64(value.data) };
  if (value instanceof Date) return value.toISOString();
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (value instanceof TaggedValue)
      return { $tagged: value.className, values: value.values.map((v) => toJson(v, seen)) };
    if (Array.isArray(value) || value instanceof Set) return Array.from(value, (v: unknown) => toJson(v, seen));
    const entries = value instanceof Map ? Array.from(value) : Object.entries(value);
    return Object.fromEntries(entries.map(([k, v]: [unknown, unknown]) => [String(k), toJson(v, seen)]));
  } finally {
    seen.delete(value);
  }
}

/** Prints values: pretty JSON (two-space indents) by default, one compact line each with `--json`. */
export class Output {
  readonly #sink: TextSink;
  readonly #compact: boolean;

  constructor(sink: TextSink, compact: boolean) {
    this.#sink = sink;
    this.#compact = compact;
  }

  /** Prints `value` as one JSON document. */
  value(value: unknown): void {
    this.#sink.write(`${JSON.stringify(toJson(value), null, this.#compact ? undefined : 2)}\n`);
  }

  /** Prints `text` as it is, with a line end. */
  line(text: string): void {
    this.#sink.write(`${text}\n`);
  }
}
