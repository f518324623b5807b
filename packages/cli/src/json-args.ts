import { MsgpackExtension } from '@rpc/mprpc';
import { cliError, messageOf } from './errors.js';

/** One call as written on a `--call` option or a line of stdin: `METHOD [ARG...]`. */
export interface CallLine {
  readonly method: string;
  readonly args: unknown[];
}

/**
 * Parses `text` as one JSON argument; `label` names it in the error (`argument 2`, `line 3, argument 1`). A string
 * needs its double quotes, as in JSON: the error says so when they are missing.
 */
export function parseJsonArg(text: string, label: string): unknown {
  try {
    return fromJson(JSON.parse(text));
  } catch (error) {
    const why = /^\s*["{[\d-]/.test(text)
      ? messageOf(error)
      : `a string is written in double quotes: '${JSON.stringify(text)}'`;
    throw cliError('CLI_BAD_JSON', `${label} is not JSON: ${text} (${why})`);
  }
}

/** Parses each of `texts` as a JSON argument (`argument 1` ... in errors, after `prefix`). */
export function parseJsonArgs(texts: readonly string[], prefix = ''): unknown[] {
  return texts.map((text, i) => parseJsonArg(text, `${prefix}argument ${i + 1}`));
}

/**
 * Splits `text` into its JSON values where whitespace separates them outside strings, arrays and objects:
 * `1 "a b" [1, 2]` gives `1`, `"a b"` and `[1, 2]`.
 */
export function splitJsonValues(text: string): string[] {
  const values: string[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (start < 0) {
      if (/\s/.test(c)) continue;
      start = i;
    }
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
    else if (depth === 0 && /\s/.test(c)) {
      values.push(text.slice(start, i));
      start = -1;
    }
  }
  if (start >= 0) values.push(text.slice(start));
  return values;
}

/**
 * Parses a call line, `METHOD [ARG...]` with the arguments as JSON separated by whitespace; undefined for an empty
 * line or a comment (`#`). `label` names the line in errors (`line 3`, `--call 2`).
 */
export function parseCallLine(text: string, label: string): CallLine | undefined {
  const line = text.trim();
  if (line === '' || line.startsWith('#')) return undefined;
  const match = /^(\S+)\s*([\s\S]*)$/.exec(line) as RegExpExecArray;
  const method = match[1] as string;
  return { method, args: parseJsonArgs(splitJsonValues(match[2] as string), `${label}, `) };
}

/** Base64 of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * JSON as the server should get it: `{"$bytes": BASE64}` becomes bytes, `{"$ext": TYPE, "data": BASE64}` a
 * MessagePack extension (neovim's buffer, window and tabpage handles): what results print them as.
 */
export function fromJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJson);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && typeof record.$bytes === 'string')
    return new Uint8Array(Buffer.from(record.$bytes, 'base64'));
  if (keys.length === 2 && Number.isInteger(record.$ext) && typeof record.data === 'string')
    return new MsgpackExtension(record.$ext as number, new Uint8Array(Buffer.from(record.data, 'base64')));
  return Object.fromEntries(keys.map((key) => [key, fromJson(record[key])]));
}
