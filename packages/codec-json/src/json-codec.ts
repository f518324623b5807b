import {
  checkHeap,
  type Codec,
  type CodecOptions,
  decodeSafely,
  DEFAULT_MAX_DEPTH,
  formatError,
  isCodecError,
  latin1,
  maxHeapBytesOf,
  tooLarge,
} from '@rpc/codec';
import { JsonHeapScan, MAX_TEXT_LENGTH, WORST_PER_BYTE } from './heap-scan.js';
import { scan } from './scan.js';
import { parseTagged } from './tagged-parser.js';
import { needsWriter, writeJson } from './writer.js';

const utf8 = new TextEncoder();
const ascii = new TextDecoder('utf-8');
const NON_ASCII = /[^\u0000-\u007f]/;

/**
 * JSON text to bytes as JSON::XS->latin1 writes it: one byte per character up to 0xFF, `\uXXXX` above (surrogates one
 * by one).
 */
function latin1Bytes(text: string): Uint8Array {
  if (!NON_ASCII.test(text)) return utf8.encode(text);
  let wide = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) wide++;
  const out = new Uint8Array(text.length + wide * 5);
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0xff) {
      out[at++] = c;
      continue;
    }
    // Only possible inside a string literal, where an escape means the same character.
    const hex = c.toString(16).padStart(4, '0');
    out[at++] = 0x5c;
    out[at++] = 0x75;
    for (let k = 0; k < 4; k++) out[at++] = hex.charCodeAt(k);
  }
  return out;
}

function positionOf(error: unknown): number | undefined {
  const match = /position (\d+)/.exec(String((error as Error).message));
  return match ? Number(match[1]) : undefined;
}

/**
 * JSON the way Event::RPC's JSON::XS setup speaks it: payloads are latin-1
 * bytes (JSON::XS->latin1 on the way out, one byte = one character on the
 * way in), and blessed objects travel as tagged values `("Class")[...]`
 * (TaggedValue). Plain messages take the JSON.parse / JSON.stringify path.
 *
 * Value rules: integers beyond 2^53 decode as the nearest double (BigInt
 * encodes exactly); Uint8Array encodes as a latin-1 string and decodes as a
 * string; undefined encodes as null, and object properties that are
 * undefined are left out; Map encodes as an object.
 */
export function jsonCodec(options: CodecOptions = {}): Codec {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxHeapBytes = maxHeapBytesOf(options, 'JSON');
  const heapScan = new JsonHeapScan(maxDepth);
  const priceOf = (bytes: Uint8Array, limit: number) => heapScan.scan(bytes, limit);
  return {
    name: 'JSON',
    insecure: false,
    encode(value: unknown): Uint8Array {
      let text: string | undefined;
      try {
        text = needsWriter(value) ? writeJson(value, maxDepth) : JSON.stringify(value);
      } catch (error) {
        if (isCodecError(error)) throw error;
        throw formatError('CODEC_UNENCODABLE', 'JSON', (error as Error).message, { cause: error });
      }
      return latin1Bytes(text ?? 'null');
    },
    decode(bytes: Uint8Array): unknown {
      // The text is one string: past V8's longest, making it would throw a RangeError.
      if (bytes.length > MAX_TEXT_LENGTH)
        throw tooLarge('JSON', bytes.length, MAX_TEXT_LENGTH, { limit: 'the longest string JavaScript can hold' });
      checkHeap('JSON', bytes, maxHeapBytes, WORST_PER_BYTE, priceOf);
      const facts = scan(bytes, maxDepth);
      if (facts.tooDeepAt >= 0)
        throw formatError('CODEC_TOO_DEEP', 'JSON', `nesting deeper than ${maxDepth}`, { offset: facts.tooDeepAt });
      // decodeSafely: whatever else V8 cannot make (a string, an array) leaves as a codec error too.
      return decodeSafely('JSON', maxDepth, () => {
        const text = facts.ascii ? ascii.decode(bytes) : latin1(bytes);
        if (facts.firstTag >= 0) return parseTagged(text);
        try {
          return JSON.parse(text);
        } catch (error) {
          if (!(error instanceof SyntaxError)) throw error;
          throw formatError('CODEC_MALFORMED', 'JSON', 'not valid JSON', { offset: positionOf(error), cause: error });
        }
      });
    },
  };
}
