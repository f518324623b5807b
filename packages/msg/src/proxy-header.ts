import { msgError } from './errors.js';
import { formatIp, parseIpv4, parseIpv6 } from './ip.js';

// The PROXY protocol (haproxy's proxy-protocol.txt), versions 1 (text) and 2 (binary): a balancer says first whom
// it is forwarding. This is the parser only: bytes in, a header or "need more" out, no socket.

/** Version 2's 12-byte signature: `\r\n\r\n\0\r\nQUIT\n`. */
const V2_SIGNATURE = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a);
/** Version 1's prefix, `PROXY `. */
const V1_PREFIX = Uint8Array.of(0x50, 0x52, 0x4f, 0x58, 0x59, 0x20);
const V2_FIXED = 16;
const CR = 0x0d;
const LF = 0x0a;
const PORT = /^(?:0|[1-9]\d{0,4})$/;
const EMPTY = new Uint8Array(0);

/** The longest version 1 header, CRLF included (the specification's limit). */
export const PROXY_V1_MAX_LENGTH = 107;
/**
 * The most a version 2 header may carry after its 16 fixed bytes: the addresses and TLVs (which are skipped). The
 * specification allows 65,535; balancers send a few hundred at most.
 */
export const PROXY_V2_MAX_BODY = 2048;
/** The most a {@link ProxyHeaderParser} ever holds. */
export const PROXY_HEADER_MAX_LENGTH = V2_FIXED + PROXY_V2_MAX_BODY;

/** What a PROXY header says. */
export interface ProxyHeader {
  /** 1 (text) or 2 (binary). */
  readonly version: 1 | 2;
  /**
   * The client's address, or undefined when the header names none the server can use (v1 `UNKNOWN`, v2 `LOCAL` as
   * the balancer's own health checks send, a Unix or UDP source): the socket's address stands.
   */
  readonly remote:
    | {
        /** The client's IP address, written as Node writes addresses (`::ffff:` for an IPv4-mapped one). */
        readonly host: string;
        /** The client's TCP port. */
        readonly port: number;
      }
    | undefined;
}

/** One step of a {@link ProxyHeaderParser}: more bytes needed, or the header and the bytes after it. */
export type ProxyHeaderStep =
  | {
      /** More bytes are needed. */
      readonly done: false;
    }
  | (ProxyHeader & {
      /** The header is whole. */
      readonly done: true;
      /** The bytes of the chunk that followed the header: the connection's own (a view, not a copy). */
      readonly rest: Uint8Array;
    });

const NEED_MORE: ProxyHeaderStep = { done: false };

/**
 * Whether `bytes` begin with a PROXY signature (v1 `PROXY ` or v2's 12 bytes): true, false, or undefined while too few
 * bytes have come to tell.
 */
export function startsWithProxySignature(bytes: Uint8Array): boolean | undefined {
  let undecided = false;
  for (const signature of [V1_PREFIX, V2_SIGNATURE]) {
    const n = Math.min(bytes.length, signature.length);
    if (!signature.subarray(0, n).every((byte, i) => bytes[i] === byte)) continue;
    if (n === signature.length) return true;
    undecided = true;
  }
  return undecided ? undefined : false;
}

/**
 * Reads one PROXY header from the start of a byte stream, fed in chunks of any size. Never holds more than
 * {@link PROXY_HEADER_MAX_LENGTH} bytes: a header that would be longer, or bytes that are not a header, throw
 * MSG_PROXY_HEADER_INVALID.
 */
export class ProxyHeaderParser {
  #held: Uint8Array = EMPTY;

  /** Feeds the next chunk: `{ done: false }` until the header is whole, then the header and the chunk's rest. */
  push(chunk: Uint8Array): ProxyHeaderStep {
    const held = this.#held;
    const taken = chunk.subarray(0, PROXY_HEADER_MAX_LENGTH - held.length);
    let bytes = taken;
    if (held.length > 0) {
      bytes = new Uint8Array(held.length + taken.length);
      bytes.set(held);
      bytes.set(taken, held.length);
    }
    const parsed = parse(bytes);
    if (parsed === undefined) {
      this.#held = bytes === taken ? taken.slice() : bytes; // a copy: the chunk's buffer may be far larger
      return NEED_MORE;
    }
    this.#held = EMPTY;
    const { length, ...header } = parsed;
    return { done: true, ...header, rest: chunk.subarray(length - held.length) };
  }
}

type Parsed = ProxyHeader & { readonly length: number };

function invalid(message: string): Error {
  return msgError('MSG_PROXY_HEADER_INVALID', message);
}

/** The header at the start of `bytes` with its length, or undefined when more bytes are needed. */
function parse(bytes: Uint8Array): Parsed | undefined {
  const signed = startsWithProxySignature(bytes);
  if (signed === false) throw invalid('the connection did not begin with a PROXY header');
  if (signed === undefined) return undefined;
  return bytes[0] === V1_PREFIX[0] ? parseV1(bytes) : parseV2(bytes);
}

/** `PROXY TCP4|TCP6 <src> <dst> <sport> <dport>\r\n`, or `PROXY UNKNOWN ...\r\n`. */
function parseV1(bytes: Uint8Array): Parsed | undefined {
  const lf = bytes.subarray(0, PROXY_V1_MAX_LENGTH).indexOf(LF);
  if (lf < 0) {
    if (bytes.length >= PROXY_V1_MAX_LENGTH)
      throw invalid(`a PROXY v1 header longer than ${PROXY_V1_MAX_LENGTH} bytes`);
    return undefined;
  }
  if (bytes[lf - 1] !== CR) throw invalid('a PROXY v1 header not ended by CRLF');
  const line = String.fromCharCode(...bytes.subarray(0, lf - 1));
  const [, family, ...fields] = line.split(' ');
  if (family === 'UNKNOWN') return { version: 1, remote: undefined, length: lf + 1 };
  const parseAddress = family === 'TCP4' ? parseIpv4 : family === 'TCP6' ? parseIpv6 : undefined;
  if (parseAddress === undefined) throw invalid(`a PROXY v1 header of an unknown protocol: ${JSON.stringify(line)}`);
  const [src = '', dst = '', sport = '', dport = ''] = fields;
  const host = parseAddress(src);
  if (fields.length !== 4 || host === undefined || parseAddress(dst) === undefined || !isPort(sport) || !isPort(dport))
    throw invalid(`a malformed PROXY v1 header: ${JSON.stringify(line)}`);
  return { version: 1, remote: { host: formatIp(host), port: Number(sport) }, length: lf + 1 };
}

function isPort(text: string): boolean {
  return PORT.test(text) && Number(text) <= 65535;
}

/** Signature, version and command, family and transport, length, then addresses and TLVs (skipped). */
function parseV2(bytes: Uint8Array): Parsed | undefined {
  if (bytes.length < V2_FIXED) return undefined;
  const versionCommand = bytes[12] as number;
  const family = (bytes[13] as number) >> 4;
  const transport = (bytes[13] as number) & 0x0f;
  const bodyLength = ((bytes[14] as number) << 8) | (bytes[15] as number);
  if (versionCommand >> 4 !== 2) throw invalid(`a PROXY header of unknown version ${versionCommand >> 4}`);
  const command = versionCommand & 0x0f;
  if (command > 1) throw invalid(`a PROXY v2 header of unknown command ${command}`);
  if (family > 3 || transport > 2) throw invalid(`a PROXY v2 header of unknown family or transport ${bytes[13]}`);
  if (bodyLength > PROXY_V2_MAX_BODY)
    throw invalid(`a PROXY v2 header of ${bodyLength} bytes after its fixed part; at most ${PROXY_V2_MAX_BODY}`);
  // The address block: none (UNSPEC), IPv4, IPv6, or two Unix paths of 108 bytes each.
  const addressLength = [0, 12, 36, 216][family] as number;
  if (bodyLength < addressLength) throw invalid(`a PROXY v2 header too short for its addresses (${bodyLength} bytes)`);
  const length = V2_FIXED + bodyLength;
  if (bytes.length < length) return undefined;
  // LOCAL (the balancer's own connection), Unix or UDP sources: the socket's address stands.
  if (command === 0 || transport !== 1 || (family !== 1 && family !== 2))
    return { version: 2, remote: undefined, length };
  const size = family === 1 ? 4 : 16;
  const host = formatIp(bytes.subarray(V2_FIXED, V2_FIXED + size));
  const at = V2_FIXED + 2 * size;
  return { version: 2, remote: { host, port: ((bytes[at] as number) << 8) | (bytes[at + 1] as number) }, length };
}
