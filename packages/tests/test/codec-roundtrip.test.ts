import { isCodecError, TaggedValue, type Codec } from '@rpc/codec';
import { cborCodec } from '@rpc/codec-cbor';
import { jsonCodec } from '@rpc/codec-json';
import { msgpackCodec } from '@rpc/codec-msgpack';
import { serealCodec } from '@rpc/codec-sereal';

const codecs: Codec[] = [jsonCodec(), cborCodec(), msgpackCodec(), serealCodec()];

// Values every codec carries unchanged.
const portable: Array<[string, unknown]> = [
  ['empty map', {}],
  ['empty list', []],
  ['scalars', { s: 'text', n: 42, neg: -7, f: 3.25, t: true, f2: false, z: null }],
  ['nested maps and lists', { a: [1, [2, [3, { b: { c: [true, null, 'x'] } }]]], d: { e: {} } }],
  [
    'unicode',
    {
      greeting: '你好世界',
      latin: 'Grüße',
      emoji: '😀 ok',
      escapes: 'quote " backslash \\ newline \n tab \t nul \u0000',
    },
  ],
  ['safe integers', [Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 0, 255, 256, 65535, 65536, 2 ** 32, -(2 ** 31)]],
  ['floats', [0.1, -2.5e-8, 1e300, Math.PI]],
  [
    'keys that are special in JavaScript',
    JSON.parse('{"__proto__":{"x":1},"constructor":{"prototype":2},"toString":3,"hasOwnProperty":4}'),
  ],
  [
    'a blessed object parameter',
    { cmd: 'exec', params: [new TaggedValue('Event_RPC_Test2', [['SCALAR', 'Event_RPC_Test2=HASH(0x1)']]), 7] },
  ],
  ['tagged values nested in tagged values', [new TaggedValue('A', [{ inner: new TaggedValue('B', []) }, 'rest'])]],
  ['a 1000-element list', Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `n${i}` }))],
];

describe.each(codecs.map((c) => [c.name, c] as const))('%s round trips', (_name, codec) => {
  it.each(portable)('%s', (_label, value) => {
    const back = codec.decode(codec.encode(value));
    expect(back).toEqual(value);
    expect(JSON.stringify(back)).toBe(JSON.stringify(value)); // same key order, own keys only
  });

  it('keeps __proto__ as a plain key without touching any prototype', () => {
    const back = codec.decode(codec.encode(JSON.parse('{"__proto__":{"polluted":true}}'))) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('carries a Set as a list, a Map as a map, and a Date and bytes as RemoteValue says', () => {
    const [set, map, date, bytes] = codec.decode(
      codec.encode([new Set([1, 'a']), new Map([['k', 1]]), new Date(0), Uint8Array.of(0x47, 0xfc)]),
    ) as unknown[];
    expect([set, map]).toEqual([[1, 'a'], { k: 1 }]);
    // MessagePack and CBOR have dates and bytes of their own; the Perl formats send an ISO string and a byte string.
    expect(date instanceof Date ? date.toISOString() : date).toBe('1970-01-01T00:00:00.000Z');
    expect(bytes instanceof Uint8Array ? [...bytes] : bytes).toEqual(codec.name === 'MSGP' ? [0x47, 0xfc] : 'G\u00fc');
  });

  it('turns undefined into null and never decodes undefined', () => {
    expect(codec.decode(codec.encode([undefined, 1]))).toEqual([null, 1]);
    expect(codec.decode(codec.encode(undefined))).toBeNull();
  });

  it('refuses nesting deeper than maxDepth with CODEC_TOO_DEEP', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 600; i++) deep = [deep];
    const error =
      (() => {
        try {
          codec.decode(codec.encode(deep));
        } catch (e) {
          return e;
        }
      })() ??
      (() => {
        try {
          codec.encode(deep);
        } catch (e) {
          return e;
        }
      })();
    expect(isCodecError(error)).toBe(true);
    expect(error).toMatchObject({
      code: expect.stringMatching(/^CODEC_(TOO_DEEP|UNENCODABLE)$/),
      data: { format: codec.name },
    });
  });

  it('names the format and the offset in a decode error', () => {
    const bytes = codec.encode({ cmd: 'version', list: [1, 2, 3] });
    const truncated = bytes.subarray(0, bytes.length - 2);
    let error: unknown;
    try {
      codec.decode(truncated);
    } catch (e) {
      error = e;
    }
    expect(isCodecError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'CODEC_MALFORMED', data: { format: codec.name } });
    expect((error as Error).message.startsWith(`${codec.name}: `)).toBe(true);
  });
});

// Where the formats differ, by design (see each package's README).
describe('format-specific value rules', () => {
  const [json, cbor, msgp, serl] = codecs as [Codec, Codec, Codec, Codec];
  const big = 2n ** 64n - 1n;

  it('carries integers beyond 2^53 exactly as BigInt in CBOR, MessagePack and Sereal', () => {
    for (const codec of [cbor, msgp, serl])
      expect(codec.decode(codec.encode([big, -(2n ** 63n), 2n ** 53n + 1n]))).toEqual([
        big,
        -(2n ** 63n),
        2n ** 53n + 1n,
      ]);
  });

  it('writes BigInt exactly in JSON; reading gives the nearest double', () => {
    expect(Buffer.from(json.encode({ big })).toString()).toBe('{"big":18446744073709551615}');
    expect(json.decode(json.encode({ big }))).toEqual({ big: 18446744073709552000 });
  });

  it('keeps binary buffers in MessagePack; CBOR, Sereal and JSON deliver them as latin-1 strings, as Perl byte strings', () => {
    const bytes = new Uint8Array([0, 1, 127, 128, 255]);
    expect(msgp.decode(msgp.encode({ bytes }))).toEqual({ bytes: Buffer.from(bytes) });
    expect(cbor.decode(cbor.encode({ bytes }))).toEqual({ bytes: '\u0000\u0001\u007f\u0080\u00ff' });
    expect(serl.decode(serl.encode({ bytes }))).toEqual({ bytes: '\u0000\u0001\u007f\u0080\u00ff' });
    expect(json.decode(json.encode({ bytes }))).toEqual({ bytes: '\u0000\u0001\u007f\u0080\u00ff' });
  });
});
