import { TaggedValue, UsageError } from '@rpc/codec';
import { serealCodec } from '@rpc/codec-sereal';
import { body, hex, sereal, thrownBy } from './helpers.js';

// The expected bytes are what Perl's Sereal::Encoder->new (5.003) writes for the same data
// (built in one statement and encoded in the next, so that every container has one reference).
const ascii = (text: string): string => Buffer.from(text, 'latin1').toString('hex');

describe('the header', () => {
  it('is protocol 5, raw body, no suffix: =\\xF3rl 0x05 0x00', () => {
    expect(hex(sereal.encode(1))).toBe('3df3726c050001');
  });
});

describe('numbers', () => {
  it.each([
    [0, '00'],
    [15, '0f'],
    [-1, '1f'],
    [-16, '10'],
    [16, '2010'],
    [1000, '20e807'],
    [-17, '2121'],
    [-1000, '21cf0f'],
    [Number.MAX_SAFE_INTEGER, '20ffffffffffffff0f'],
    [-Number.MAX_SAFE_INTEGER, '21fdffffffffffff1f'],
    [-(2 ** 52) - 1, '218180808080808010'],
    [4294967296, '208080808010'],
  ])('integer %d as POS, NEG, VARINT or ZIGZAG', (value, expected) => {
    expect(body(value)).toBe(expected);
  });

  it.each([
    [2n ** 64n - 1n, '20ffffffffffffffffff01'],
    [2n ** 53n + 1n, '208180808080808010'],
    [-(2n ** 63n), '21ffffffffffffffffff01'],
    [42n, '202a'],
    [-3n, '1d'],
  ])('BigInt %p as the integer Perl would hold', (value, expected) => {
    expect(body(value)).toBe(expected);
  });

  it.each([
    [3.25, '2200005040'],
    [-0.5, '22000000bf'],
    [-2.5e-8, '2348afbc9af2d75abe'],
    [0.1, '239a9999999999b93f'],
    [1e300, '239c7500883ce4377e'],
    [-0, '2200000080'],
    [2 ** 60, '220000805d'],
    [Infinity, '220000807f'],
    [-Infinity, '22000080ff'],
    [NaN, '220000c07f'],
  ])('non-integer %p as FLOAT when a float holds it exactly, else DOUBLE', (value, expected) => {
    expect(body(value)).toBe(expected);
  });

  it('refuses a BigInt outside the 64 bits of a Perl integer', () => {
    for (const big of [2n ** 64n, -(2n ** 63n) - 1n]) {
      expect(thrownBy(() => sereal.encode([big]))).toMatchObject({
        name: 'UsageError',
        code: 'CODEC_UNENCODABLE',
        data: { format: 'SERL' },
        message: expect.stringMatching(/outside Perl's 64-bit range/),
      });
    }
  });
});

describe('strings and bytes', () => {
  it.each([
    ['', '60'],
    ['abc', `63${ascii('abc')}`],
    ['x'.repeat(31), `7f${'78'.repeat(31)}`],
    ['y'.repeat(32), `2620${'79'.repeat(32)}`],
    ['z'.repeat(200), `26c801${'7a'.repeat(200)}`],
  ])('ASCII text %p as SHORT_BINARY or BINARY, like a Perl string without the UTF-8 flag', (value, expected) => {
    expect(body(value)).toBe(expected);
  });

  it.each([
    ['Grüße', '27074772c3bcc39f65'],
    ['你好世界', '270ce4bda0e5a5bde4b896e7958c'],
    ['😀', '2704f09f9880'],
    ['ü'.repeat(50), `2764${'c3bc'.repeat(50)}`],
    ['ü'.repeat(100), `27c801${'c3bc'.repeat(100)}`],
    ['\ud800 lone', `2708efbfbd206c6f6e65`],
    [`${'a'.repeat(40)}\udc00`, `272b${'61'.repeat(40)}efbfbd`],
  ])('other text %p as STR_UTF8, like a Perl string with the UTF-8 flag', (value, expected) => {
    expect(body(value)).toBe(expected);
  });

  it('writes bytes as a Perl byte string: SHORT_BINARY below 32 bytes, else BINARY', () => {
    expect(body(Uint8Array.of(1, 2, 0xff))).toBe('630102ff');
    expect(body(Buffer.from('Grüße', 'latin1'))).toBe('654772fcdf65');
    expect(body(new Uint8Array(32).fill(7))).toBe(`2620${'07'.repeat(32)}`);
    expect(body(Uint16Array.of(1))).toBe('620100');
  });
});

describe('undef, booleans, dates', () => {
  it('writes null and undefined as UNDEF, booleans as YES/NO (Perl 5.36 booleans in data)', () => {
    expect(body(null)).toBe('25');
    expect(body(undefined)).toBe('25');
    expect(body([true, false])).toBe('423534');
    expect(body({ a: undefined })).toBe('51616125');
  });

  it('writes a Date as its ISO string (as the JSON codec does) and an invalid one as UNDEF', () => {
    expect(body(new Date(0))).toBe(`78${ascii('1970-01-01T00:00:00.000Z')}`);
    expect(body(new Date(NaN))).toBe('25');
  });
});

describe('arrays and hashes', () => {
  it('writes up to 15 items as ARRAYREF_n / HASHREF_n, more as REFN ARRAY / REFN HASH', () => {
    expect(body([])).toBe('40');
    expect(body([1, 2])).toBe('420102');
    expect(body(Array.from({ length: 16 }, (_, i) => i))).toBe(`282b10${'000102030405060708090a0b0c0d0e0f'}`);
    expect(body({})).toBe('50');
    expect(body({ a: 1 })).toBe('51616101');
    const big = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [String.fromCharCode(97 + i), i]));
    expect(body(big).slice(0, 6)).toBe('282a10');
    // biome-ignore lint/suspicious/noSparseArray: a hole in an array is what this test sends
    expect(body([undefined, , 1])).toBe('43252501');
  });

  it('writes a repeated hash key as a COPY of its first occurrence, as Perl does', () => {
    expect(body([{ a: 1 }, { a: 2 }])).toBe('4251616101512f0302');
    expect(body({ a: { a: { a: 1 } } })).toBe('516161512f02512f0201');
    expect(body([{ '': 1 }, { '': 2 }])).toBe('42516001512f0302');
    // Keys and values are apart: a value never becomes a COPY of a key.
    expect(body([{ k: 'k' }, 'k'])).toBe('4251616b616b616b');
  });

  it('keeps a __proto__ key as a key, in the order given, and writes a Map like an object', () => {
    expect(body(JSON.parse('{"__proto__":1,"b":2}'))).toBe(`5269${ascii('__proto__')}01616202`);
    expect(
      body(
        new Map<unknown, unknown>([
          ['x', 1],
          [2, 'y'],
        ]),
      ),
    ).toBe('5261780161326179');
  });
});

describe('blessed objects', () => {
  it('writes an Event::RPC object (TaggedValue [[SCALAR, oid]]) as Perl writes bless \\$oid, $class', () => {
    const oid = 'Event_RPC_Test2=HASH(0x558656466a10)';
    expect(body(new TaggedValue('Event_RPC_Test2', [['SCALAR', oid]]))).toBe(
      `2c6f${ascii('Event_RPC_Test2')}282624${ascii(oid)}`,
    );
  });

  it('writes [ARRAY, items] and [HASH, pairs] as blessed arrays and hashes, a repeated class as OBJECTV', () => {
    // [bless([1], 'A'), bless({a => 1}, 'A'), bless(\2, 'B'), bless([], 'A')] from Sereal::Encoder, byte for byte.
    const value = [
      new TaggedValue('A', [['ARRAY', [1]]]),
      new TaggedValue('A', [['HASH', ['a', 1]]]),
      new TaggedValue('B', [['SCALAR', 2]]),
      new TaggedValue('A', [['ARRAY', []]]),
    ];
    expect(body(value)).toBe('442c614141012d03516161012c614228022d0340');
  });

  it('keeps class names and hash keys apart, as Perl does', () => {
    expect(body([new TaggedValue('Cls', [['SCALAR', 'v']]), { Cls: 1 }])).toBe('422c63436c7328617651' + '63436c7301');
  });

  it('writes any other TaggedValue as OBJECT_FREEZE with the values, as Sereal writes FREEZE results', () => {
    // Two objects whose FREEZE returned ('SCALAR', $$self), from Sereal::Encoder->new({freeze_callbacks => 1}).
    const value = [new TaggedValue('Fz', ['SCALAR', 'oid']), new TaggedValue('Fz', ['SCALAR', 'p'])];
    expect(body(value)).toBe('423262467a282b02665343414c4152636f69643303282b02665343414c41526170');
    expect(body(new TaggedValue('E', []))).toBe('326145282b00');
    expect(body(new TaggedValue('H', [['HASH', ['odd']]]))).toBe(
      `326148282b0142 64${ascii('HASH')} 41 63${ascii('odd')}`.replace(/ /g, ''),
    );
  });
});

describe('what cannot be encoded', () => {
  it('refuses functions and symbols with CODEC_UNENCODABLE', () => {
    expect(thrownBy(() => sereal.encode({ f: () => 1 }))).toMatchObject({
      code: 'CODEC_UNENCODABLE',
      message: 'SERL: a function cannot be sent',
    });
    expect(thrownBy(() => sereal.encode([Symbol('s')]))).toMatchObject({
      code: 'CODEC_UNENCODABLE',
      message: 'SERL: a symbol cannot be sent',
    });
  });

  it('refuses cycles and values nested deeper than maxDepth, and is fine afterwards', () => {
    const cycle: unknown[] = [];
    cycle.push(cycle);
    const error = thrownBy(() => sereal.encode({ cycle }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ code: 'CODEC_UNENCODABLE', message: 'SERL: nesting deeper than 512 (or a cycle)' });
    const shallow = serealCodec({ maxDepth: 2 });
    expect(body([[1]])).toBe('414101');
    expect(hex(shallow.encode([[1]]))).toBe('3df3726c0500414101');
    expect(thrownBy(() => shallow.encode([[[1]]]))).toMatchObject({ code: 'CODEC_UNENCODABLE' });
    expect(hex(shallow.encode({ a: 1 }))).toBe('3df3726c050051616101');
  });
});

describe('the output buffer', () => {
  it('returns views that later encodings never overwrite', () => {
    const codec = serealCodec();
    const kept = Array.from({ length: 2000 }, (_, i) => [i, codec.encode({ i, text: `message ${i}` })] as const);
    const large = codec.encode(['x'.repeat(1 << 20)]);
    for (const [i, bytes] of kept) expect(codec.decode(bytes)).toEqual({ i, text: `message ${i}` });
    expect(codec.decode(large)).toEqual(['x'.repeat(1 << 20)]);
    expect(codec.decode(codec.encode('after'))).toBe('after');
  });

  // The check for room at the start of a document used to copy the document before into the fresh buffer.
  it('starts a fresh buffer empty when the document before left it full', () => {
    const codec = serealCodec();
    const bytes = codec.encode(new Uint8Array(8192).fill(0x61));
    const text = codec.encode('x'.repeat(8192)); // ends with less room than a document needs
    expect(codec.decode(codec.encode([1, 2, 3]))).toEqual([1, 2, 3]);
    expect([codec.decode(bytes), codec.decode(text)]).toEqual(['a'.repeat(8192), 'x'.repeat(8192)]);
  });

  it('drops a document that failed half way, keeping the one before intact', () => {
    const codec = serealCodec();
    const before = codec.encode({ keep: 'me' });
    expect(thrownBy(() => codec.encode({ a: 'x'.repeat(100), b: () => 1 }))).toBeInstanceOf(UsageError);
    expect(codec.decode(before)).toEqual({ keep: 'me' });
    expect(hex(codec.encode({ a: 1 }))).toBe('3df3726c050051616101');
  });
});
