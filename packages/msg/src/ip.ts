import { msgError } from './errors.js';

// IP addresses as bytes, without node:net: @rpc/msg also runs in browsers.

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const GROUP = /^[0-9a-f]{1,4}$/i;
/** `::ffff:0:0/96`: an IPv4 address as a dual-stack socket reports it. */
const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** The 4 bytes of a dotted IPv4 address, or undefined. */
export function parseIpv4(text: string): Uint8Array | undefined {
  return IPV4.test(text) ? Uint8Array.from(text.split('.'), Number) : undefined;
}

/** The 16 bytes of an IPv6 address (`::` and a dotted IPv4 tail allowed, no zone), or undefined. */
export function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const words: number[][] = [];
  for (const [h, half] of halves.entries()) {
    const part: number[] = [];
    const groups = half === '' ? [] : half.split(':');
    for (const [i, group] of groups.entries()) {
      // Only the address's last 32 bits may be written as dotted IPv4.
      const v4 = h === halves.length - 1 && i === groups.length - 1 ? parseIpv4(group) : undefined;
      if (v4 !== undefined) part.push(...[0, 2].map((at) => ((v4[at] as number) << 8) | (v4[at + 1] as number)));
      else if (GROUP.test(group)) part.push(Number.parseInt(group, 16));
      else return undefined;
    }
    words.push(part);
  }
  const [head = [], tail = []] = words;
  const zeros = 8 - head.length - tail.length;
  if (halves.length === 1 ? zeros !== 0 : zeros < 1) return undefined;
  const all = [...head, ...Array<number>(halves.length === 1 ? 0 : zeros).fill(0), ...tail];
  return Uint8Array.from(all.flatMap((word) => [word >> 8, word & 0xff]));
}

/** The bytes of an IPv4 or IPv6 address; an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) as its 4 IPv4 bytes. */
export function parseIp(text: string): Uint8Array | undefined {
  const bytes = parseIpv4(text) ?? parseIpv6(text);
  if (bytes?.length === 16 && MAPPED_PREFIX.every((byte, i) => bytes[i] === byte)) return bytes.subarray(12);
  return bytes;
}

/** `1.2.3.4`, or IPv6 as Node reports it: lowercase, the longest run of zeros as `::`, IPv4-mapped dotted. */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  if (MAPPED_PREFIX.every((byte, i) => bytes[i] === byte)) return `::ffff:${bytes.subarray(12).join('.')}`;
  const words = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number));
  let [start, length] = [-1, 1]; // RFC 5952: only a run of two or more zero groups is shortened
  for (let i = 0; i < 8; i++) {
    let end = i;
    while (end < 8 && words[end] === 0) end++;
    if (end - i > length) [start, length] = [i, end - i];
  }
  const hex = (from: number, to: number): string =>
    words
      .slice(from, to)
      .map((w) => w.toString(16))
      .join(':');
  return start < 0 ? hex(0, 8) : `${hex(0, start)}::${hex(start + length, 8)}`;
}

/**
 * Tells whether an address is in a list of addresses and networks (`10.0.0.0/8`, `fd00::/8`, `::1`). IPv4 clients of a
 * dual-stack socket (`::ffff:10.1.2.3`) match the IPv4 entries.
 */
export class IpSet {
  readonly #networks: ReadonlyArray<{ readonly bytes: Uint8Array; readonly bits: number }>;

  /** Throws MSG_INVALID_OPTION for an entry that is not an address or a network. */
  constructor(entries: readonly string[]) {
    this.#networks = entries.map((entry) => {
      const [address = '', prefix, extra] = entry.split('/');
      const bytes = parseIp(address);
      const bits = prefix === undefined ? (bytes?.length ?? 0) * 8 : Number(prefix);
      if (bytes === undefined || extra !== undefined || !/^\d+$/.test(prefix ?? '0') || bits > bytes.length * 8)
        throw msgError('MSG_INVALID_OPTION', `not an IP address or network: ${JSON.stringify(entry)}`);
      return { bytes, bits };
    });
  }

  /** Whether `host` (an IP address; anything else never matches) is one of the set's. */
  has(host: string): boolean {
    const bytes = parseIp(host.replace(/%.*$/, '')); // the zone says which interface, not who
    if (bytes === undefined) return false;
    return this.#networks.some((net) => net.bytes.length === bytes.length && samePrefix(net.bytes, bytes, net.bits));
  }
}

function samePrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((a[whole] as number) & mask) === ((b[whole] as number) & mask);
}
