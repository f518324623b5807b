/** What one pass over a JSON payload tells: how deep it nests, whether it has JSON::XS tags, whether it is ASCII. */
export interface Scan {
  readonly depth: number;
  /** Offset of the first `(` outside a string, or -1: tags need the slow parser. */
  readonly firstTag: number;
  readonly ascii: boolean;
  /** Offset where nesting first passed the limit, or -1. */
  readonly tooDeepAt: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_PAREN = 0x28;

/** One tight loop over the bytes, so that the plain-JSON path costs little more than JSON.parse. */
export function scan(bytes: Uint8Array, maxDepth: number): Scan {
  let depth = 0;
  let deepest = 0;
  let firstTag = -1;
  let high = 0;
  let tooDeepAt = -1;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    high |= b;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
      continue;
    }
    switch (b) {
      case QUOTE:
        inString = true;
        break;
      case 0x5b: // [
      case 0x7b: // {
        if (++depth > deepest) {
          deepest = depth;
          if (depth > maxDepth && tooDeepAt < 0) tooDeepAt = i;
        }
        break;
      case 0x5d: // ]
      case 0x7d: // }
        depth--;
        break;
      case OPEN_PAREN:
        if (firstTag < 0) firstTag = i;
        break;
    }
  }
  return { depth: deepest, firstTag, ascii: high < 0x80, tooDeepAt };
}
