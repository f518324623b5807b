import {
  PROXY_HEADER_MAX_LENGTH,
  PROXY_V2_MAX_BODY,
  ProtocolError,
  ProxyHeaderParser,
  startsWithProxySignature,
  type ProxyHeaderStep,
} from '@rpc/msg';

const ascii = new TextEncoder();
const SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
const AFTER = ascii.encode('\x00\x00\x00\x05hello'); // a frame that follows the header

/** A v2 header: command 1 PROXY or 0 LOCAL, family/transport byte, the address block and any TLVs. */
function v2(command: number, familyTransport: number, body: number[]): Uint8Array {
  return Uint8Array.from([
    ...SIGNATURE,
    0x20 | command,
    familyTransport,
    body.length >> 8,
    body.length & 0xff,
    ...body,
  ]);
}

const port = (n: number): number[] => [n >> 8, n & 0xff];
const V2_TCP4 = v2(1, 0x11, [192, 0, 2, 7, 10, 0, 0, 1, ...port(51234), ...port(7000)]);
const V6_SRC = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42];
const V2_TCP6 = v2(1, 0x21, [...V6_SRC, ...new Array(15).fill(0), 1, ...port(40000), ...port(7000)]);

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}

/** Feeds `chunks` until the header is whole; what came after it, from that chunk and the rest, is collected. */
function parse(chunks: Uint8Array[]): { step: ProxyHeaderStep; after: Uint8Array } {
  const parser = new ProxyHeaderParser();
  for (const [i, chunk] of chunks.entries()) {
    const step = parser.push(chunk);
    if (step.done) return { step, after: concat(step.rest, ...chunks.slice(i + 1)) };
  }
  return { step: { done: false }, after: new Uint8Array(0) };
}

function failure(bytes: Uint8Array): unknown {
  try {
    const step = new ProxyHeaderParser().push(bytes);
    return step.done ? step : 'needs more';
  } catch (error) {
    return error;
  }
}

describe('ProxyHeaderParser', () => {
  const cases: Array<[string, Uint8Array, unknown]> = [
    [
      'v1 TCP4',
      ascii.encode('PROXY TCP4 192.0.2.7 10.0.0.1 51234 7000\r\n'),
      { version: 1, remote: { host: '192.0.2.7', port: 51234 } },
    ],
    [
      'v1 TCP6, written as Node writes addresses',
      ascii.encode('PROXY TCP6 2001:DB8:0:0::42 ::1 65535 7000\r\n'),
      { version: 1, remote: { host: '2001:db8::42', port: 65535 } },
    ],
    ['v1 UNKNOWN keeps the socket address', ascii.encode('PROXY UNKNOWN ffff:f::1 ffff:f::2 1 2\r\n'), { version: 1 }],
    ['v1 UNKNOWN alone', ascii.encode('PROXY UNKNOWN\r\n'), { version: 1, remote: undefined }],
    ['v2 TCP over IPv4', V2_TCP4, { version: 2, remote: { host: '192.0.2.7', port: 51234 } }],
    ['v2 TCP over IPv6', V2_TCP6, { version: 2, remote: { host: '2001:db8::42', port: 40000 } }],
    ['v2 LOCAL (a health check) keeps the socket address', v2(0, 0x00, []), { version: 2, remote: undefined }],
    ['v2 LOCAL with an address block still keeps it', v2(0, 0x11, [...V2_TCP4.subarray(16)]), { remote: undefined }],
    ['v2 UNSPEC keeps the socket address', v2(1, 0x00, []), { version: 2, remote: undefined }],
    ['v2 over UDP keeps the socket address', v2(1, 0x12, [...V2_TCP4.subarray(16)]), { remote: undefined }],
    ['v2 Unix keeps the socket address', v2(1, 0x31, new Array(216).fill(0)), { remote: undefined }],
    [
      'v2 with TLVs, skipped',
      v2(1, 0x11, [...V2_TCP4.subarray(16), 0x04, 0x00, 0x01, 0x00, 0xee, 0x00, 0x03, 1, 2, 3]),
      { remote: { host: '192.0.2.7', port: 51234 } },
    ],
    [
      'v2 IPv4-mapped IPv6, as Node writes it',
      v2(1, 0x21, [...new Array(10).fill(0), 0xff, 0xff, 203, 0, 113, 9, ...new Array(16).fill(0), 0, 0, 0, 80]),
      { remote: { host: '::ffff:203.0.113.9', port: 0 } },
    ],
  ];

  it.each(cases)('reads %s, split at every byte, and hands over what follows', (_name, header, expected) => {
    const bytes = concat(header, AFTER);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { step, after } = parse([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(step).toMatchObject({ done: true, ...(expected as object) });
      expect(after).toEqual(AFTER);
    }
    const { step, after } = parse(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)));
    expect(step).toMatchObject({ done: true, ...(expected as object) });
    expect(after).toEqual(AFTER);
  });

  it('waits for more while a header is truncated', () => {
    for (const header of [ascii.encode('PROXY TCP4 192.0.2.7 10.0.0.1 51234 7000\r\n'), V2_TCP4, V2_TCP6]) {
      for (let cut = 0; cut < header.length; cut++) expect(failure(header.subarray(0, cut))).toBe('needs more');
    }
  });

  const invalid: Array<[string, Uint8Array, string]> = [
    ['a frame rather than a header', AFTER, 'the connection did not begin with a PROXY header'],
    ['a wrong signature', Uint8Array.from([...SIGNATURE.slice(0, 11), 0x0b]), 'did not begin with a PROXY header'],
    ['a v1 line without CRLF', ascii.encode('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n'), 'not ended by CRLF'],
    ['v1 past 107 bytes', ascii.encode(`PROXY UNKNOWN ${'x'.repeat(93)}`), 'longer than 107 bytes'],
    ['a v1 unknown protocol', ascii.encode('PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n'), 'unknown protocol'],
    ['a v1 bad address', ascii.encode('PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n'), 'malformed'],
    ['a v1 IPv6 address under TCP4', ascii.encode('PROXY TCP4 ::1 ::1 1 2\r\n'), 'malformed'],
    ['a v1 port past 65535', ascii.encode('PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n'), 'malformed'],
    ['a v1 port with a leading zero', ascii.encode('PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n'), 'malformed'],
    ['a v1 double space', ascii.encode('PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n'), 'malformed'],
    ['a v1 field too many', ascii.encode('PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n'), 'malformed'],
    ['v2 of version 1', Uint8Array.from([...SIGNATURE, 0x11, 0x11, 0, 0]), 'unknown version 1'],
    ['a v2 unknown command', Uint8Array.from([...SIGNATURE, 0x22, 0x11, 0, 12]), 'unknown command 2'],
    ['a v2 unknown family', Uint8Array.from([...SIGNATURE, 0x21, 0x41, 0, 12]), 'unknown family'],
    ['a v2 address block too short', Uint8Array.from([...SIGNATURE, 0x21, 0x21, 0, 12]), 'too short'],
    [
      'a v2 length past the limit',
      Uint8Array.from([...SIGNATURE, 0x21, 0x11, ...port(PROXY_V2_MAX_BODY + 1)]),
      `of ${PROXY_V2_MAX_BODY + 1} bytes after its fixed part`,
    ],
  ];

  it.each(invalid)('refuses %s with MSG_PROXY_HEADER_INVALID', (_name, bytes, message) => {
    const error = failure(bytes);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: 'MSG_PROXY_HEADER_INVALID', message: expect.stringContaining(message) });
  });

  it('refuses a bad header fed byte by byte as soon as the bytes tell', () => {
    const parser = new ProxyHeaderParser();
    const bytes = ascii.encode('PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n');
    for (const [i, byte] of bytes.entries()) {
      if (i < bytes.length - 1) expect(parser.push(Uint8Array.of(byte))).toEqual({ done: false });
      else expect(() => parser.push(Uint8Array.of(byte))).toThrow(/malformed PROXY v1 header/);
    }
    expect(() => new ProxyHeaderParser().push(ascii.encode('PROXX'))).toThrow(/did not begin/);
  });

  it('holds no more than the largest header, however much comes in one chunk', () => {
    const largest = v2(1, 0x11, [...V2_TCP4.subarray(16), ...new Array(PROXY_V2_MAX_BODY - 12).fill(0)]);
    expect(largest.length).toBe(PROXY_HEADER_MAX_LENGTH);
    const flood = concat(largest, new Uint8Array(1024 * 1024));
    const { step, after } = parse([flood]);
    expect(step).toMatchObject({ done: true, remote: { host: '192.0.2.7' } });
    expect(after.length).toBe(1024 * 1024);
    // A v1 line never ends: refused at 107 bytes, even from a chunk of a megabyte.
    expect(failure(concat(ascii.encode('PROXY UNKNOWN '), new Uint8Array(1024 * 1024).fill(0x41)))).toMatchObject({
      code: 'MSG_PROXY_HEADER_INVALID',
    });
  });
});

describe('startsWithProxySignature', () => {
  it('tells a header from a frame after as few bytes as it can', () => {
    expect(startsWithProxySignature(ascii.encode('PROXY '))).toBe(true);
    expect(startsWithProxySignature(Uint8Array.from(SIGNATURE))).toBe(true);
    expect(startsWithProxySignature(ascii.encode('PROX'))).toBeUndefined();
    expect(startsWithProxySignature(Uint8Array.from(SIGNATURE.slice(0, 11)))).toBeUndefined();
    expect(startsWithProxySignature(new Uint8Array(0))).toBeUndefined();
    expect(startsWithProxySignature(AFTER)).toBe(false);
    expect(startsWithProxySignature(ascii.encode('PROXYZ'))).toBe(false);
    expect(startsWithProxySignature(Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0b))).toBe(false);
  });
});
