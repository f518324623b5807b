import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '@rpc/client';
import { ProtocolError, TaggedValue } from '@rpc/codec';
import { serealCodec } from '@rpc/codec-sereal';
import { startPerlServer } from '../src/perl-peer.js';
import type { EventRpcTest } from '../src/test-classes.js';

// Sereal against the real Perl modules (Debian libsereal-encoder-perl and libsereal-decoder-perl 5.003),
// through Event::RPC's own Event::RPC::Message::Sereal: bytes both ways, then Event::RPC over SERL both ways.
const peer = join(__dirname, '..', 'perl', 'sereal-peer.pl');
const sereal = serealCodec();
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function perl(mode: string, input?: Uint8Array): Buffer {
  return execFileSync('perl', [peer, mode], { input, maxBuffer: 64 * 1024 * 1024 });
}

/** What Perl's decoder made of `bytes`, each scalar as "type:value" (bool, int, num, str, utf8). */
const perlTyped = (bytes: Uint8Array): unknown => JSON.parse(perl('typed', bytes).toString('utf8'));

beforeAll(() => {
  try {
    execFileSync('perl', ['-MSereal::Encoder', '-MSereal::Decoder', '-MEvent::RPC::Message::Sereal', '-e1'], {
      stdio: 'pipe',
    });
  } catch {
    throw new Error('Perl with Sereal::Encoder, Sereal::Decoder and Event::RPC is needed: run scripts/setup-peers.sh');
  }
});

const oid = 'Event_RPC_Test2=HASH(0x558656466a10)';
const object = new TaggedValue('Event_RPC_Test2', [['SCALAR', oid]]);

/** The reference request of sereal-peer.pl, as our decoder must see it. */
const reference = {
  cmd: 'exec',
  oid: 'Event_RPC_Test=HASH(0x5586564666f8)',
  method: 'set_object2',
  params: [
    object,
    'Grüße',
    '你好世界',
    '😀',
    7,
    -42,
    3.25,
    null,
    [1, [2, { a: 'b' }]],
    9007199254740991,
    2n ** 64n - 1n,
    true,
    false,
    0.1,
  ],
};

/** What Perl's decoder makes of our encoding of the reference request: the same types Perl's own encoding gives. */
const perlView = {
  cmd: 'str:exec',
  oid: 'str:Event_RPC_Test=HASH(0x5586564666f8)',
  method: 'str:set_object2',
  params: [
    { blessed: 'Event_RPC_Test2', reftype: 'SCALAR', value: `str:${oid}` },
    'utf8:Grüße',
    'utf8:你好世界',
    'utf8:😀',
    'int:7',
    'int:-42',
    'num:3.25',
    null,
    ['int:1', ['int:2', { a: 'str:b' }]],
    'int:9007199254740991',
    'int:18446744073709551615',
    'bool:1',
    'bool:0',
    'num:0.1',
  ],
};

/** `value` with every object's keys in the order `like` has them: Perl's hash order is its own, and bytes follow it. */
function orderedLike(value: unknown, like: unknown): unknown {
  if (Array.isArray(value)) return value.map((item, i) => orderedLike(item, (like as unknown[])[i]));
  if (value === null || typeof value !== 'object' || value instanceof TaggedValue) return value;
  const source = value as Record<string, unknown>;
  const order = like as Record<string, unknown>;
  return Object.fromEntries(Object.keys(order).map((key) => [key, orderedLike(source[key], order[key])]));
}

describe('Sereal bytes agree with Perl', () => {
  it('decodes the request Perl encodes, blessed object parameter included', () => {
    expect(sereal.decode(perl('encode'))).toEqual(reference);
  });

  it('decodes the request as Event::RPC::Client sends it (params => \\@_, a REFN ARRAY)', () => {
    const sent = perl('sent');
    expect(sent.includes(Buffer.from('66706172616d73282b0e', 'hex'))).toBe(true); // "params" REFN ARRAY 14
    expect(sereal.decode(sent)).toEqual(reference);
  });

  it("writes the request byte for byte as Perl does (given Perl's hash order)", () => {
    const perlBytes = perl('encode');
    const ours = sereal.encode(orderedLike(reference, sereal.decode(perlBytes)));
    expect(hex(ours)).toBe(hex(perlBytes));
  });

  it.each(['answer', 'list'])('writes the %s byte for byte as Perl does', (mode) => {
    const perlBytes = perl(mode);
    expect(hex(sereal.encode(sereal.decode(perlBytes)))).toBe(hex(perlBytes));
  });

  it('reads the answer Event::RPC::Connection returns', () => {
    expect(sereal.decode(perl('answer'))).toEqual({
      ok: 1,
      rc: [
        'Grüße 你好',
        42,
        [
          { id: 1, label: 'first' },
          { id: 2, label: 'zweite' },
        ],
        null,
      ],
    });
  });

  it('is decoded by Perl to the same values and types, our TaggedValue a blessed scalar reference', () => {
    expect(perlTyped(sereal.encode(reference))).toEqual(perlView);
    expect(
      perlTyped(sereal.encode([Uint8Array.of(0x47, 0xfc), 'plain', 'Grüße', -0.5, 2 ** 40, -(2n ** 63n)])),
    ).toEqual(['str:G\u00fc', 'str:plain', 'utf8:Grüße', 'num:-0.5', 'int:1099511627776', 'int:-9223372036854775808']);
  });

  it('sends blessed arrays and hashes, and FREEZE values, that Perl reads as such', () => {
    const value = [new TaggedValue('Arr', [['ARRAY', [1, 'x']]]), new TaggedValue('Hsh', [['HASH', ['k', 'v']]])];
    expect(perlTyped(sereal.encode(value))).toEqual([
      { blessed: 'Arr', reftype: 'ARRAY', value: ['int:1', 'str:x'] },
      { blessed: 'Hsh', reftype: 'HASH', value: { k: 'str:v' } },
    ]);
    // OBJECT_FREEZE: Perl's decoder calls Class->THAW and refuses a class that has none.
    expect(() => perl('typed', sereal.encode([new TaggedValue('No::Thaw', ['x'])]))).toThrow(
      /No THAW method defined for class 'No::Thaw'/,
    );
  });
});

const obj = (className: string, kind: string, payload: unknown) => new TaggedValue(className, [[kind, payload]]);

// Each corpus entry: what it decodes to, and whether our encoding of that gives Perl's bytes again.
// Where it does not, the reason is Perl state a JavaScript value does not carry (listed in the README).
const corpus: Array<[string, unknown, boolean | string]> = [
  ['pos', [0, 1, 15], true],
  ['neg', [-1, -16], true],
  ['varint', [16, 127, 128, 300, 4294967296, 9007199254740991], true],
  ['zigzag', [-17, -1000, -4294967296, -9007199254740991], true],
  ['u64', [2n ** 64n - 1n, 2n ** 53n + 1n], true],
  ['i64', [-(2n ** 63n)], true],
  ['float', [3.25, -0.5, 1.5e10], 'Perl holds 1.5e10 as a float (DOUBLE); a JavaScript integer goes as VARINT'],
  ['double', [0.1, 1e300, -2.5e-8], true],
  ['strings', ['', 'a', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(200)], true],
  ['utf8', ['Grüße', '你好世界', '😀', 'ü'.repeat(100)], true],
  [
    'bytes',
    ['Grüße', '\u0000\u0001\u00ff'],
    'byte strings read as latin-1 text, which goes back as STR_UTF8 (Perl: eq, not the same bytes)',
  ],
  ['undef', [null, 1], true],
  ['bools', [true, false], true],
  ['nested', { list: [1, [2, [3, { deep: [] }]]], empty: {} }, true],
  ['long_list', Array.from({ length: 20 }, (_, i) => i + 1), true],
  ['big_hash', Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i + 1}`, i + 1])), true],
  [
    'repeated_keys',
    [
      { id: 1, label: 'a' },
      { id: 2, label: 'b' },
      { id: 3, label: 'c' },
    ],
    true,
  ],
  ['utf8_keys', [{ Grüße: 1 }, { Grüße: 2 }], true],
  ['object', object, true],
  ['objects', [obj('Cls', 'SCALAR', 'A=1'), obj('Cls', 'SCALAR', 'A=2'), obj('Other', 'SCALAR', 'B=1')], true],
  ['blessed_array', obj('Arr', 'ARRAY', [1, 2]), true],
  ['blessed_hash', obj('Hsh', 'HASH', ['k', 'v']), true],
  [
    'same_object',
    [obj('Cls', 'SCALAR', 'S=1'), obj('Cls', 'SCALAR', 'S=1')],
    'one object twice: Perl writes a REFP, we write it twice',
  ],
  [
    'shared_array',
    [
      [1, 2],
      [1, 2],
    ],
    'shared: Perl writes a REFP',
  ],
  ['shared_hash', [{ a: 1 }, { a: 1 }], 'shared: Perl writes a REFP'],
  ['scalar_refs', ['abc', 'abc'], 'references to scalars read as the scalars'],
  ['alias', [5, 5], 'aliases read as values'],
  ['v1', [[1, { a: 'b' }, [1], 'x', -5], { a: 'c' }], 'protocol 1'],
  ['v2', [[1, { a: 'b' }, [1], 'x', -5], { a: 'c' }], 'protocol 2'],
  ['v3', [[1, { a: 'b' }, [1], 'x', -5], { a: 'c' }], 'protocol 3'],
  ['v4', [[1, { a: 'b' }, [1], 'x', -5], { a: 'c' }], 'protocol 4'],
  ['v5', [[1, { a: 'b' }, [1], 'x', -5], { a: 'c' }], true],
  ['header_data', [1], 'the header user data is skipped'],
  ['top_undef', null, 'undef itself is CANONICAL_UNDEF; we write UNDEF'],
];

// What Perl writes that we refuse, and why.
const refused: Array<[string, RegExp]> = [
  ['cycle', /a cycle/],
  ['weak_cycle', /a cycle/],
  ['regexp', /regular expressions \(REGEXP\) are not supported/],
  ['compressed', /the body is Zlib-compressed/],
];

describe('a corpus of values Perl encodes', () => {
  const docs = new Map<string, Buffer>();
  beforeAll(() => {
    const listed = JSON.parse(perl('corpus').toString('utf8')) as Record<string, string>;
    for (const [name, bytes] of Object.entries(listed)) docs.set(name, Buffer.from(bytes, 'hex'));
  });

  it('covers every entry the Perl side writes', () => {
    expect([...docs.keys()].sort()).toEqual([...corpus.map(([name]) => name), ...refused.map(([name]) => name)].sort());
  });

  it.each(corpus)('%s', (name, expected, sameBytes) => {
    const bytes = docs.get(name) as Buffer;
    const decoded = sereal.decode(bytes);
    expect(decoded).toEqual(expected);
    if (sameBytes === true) expect(hex(sereal.encode(decoded))).toBe(hex(bytes));
    else expect(typeof sameBytes).toBe('string');
    // Bytes or not, Perl reads our encoding of what we decoded as it reads its own document.
    expect(perl('decode', sereal.encode(decoded)).toString('utf8')).toBe(perl('decode', bytes).toString('utf8'));
  });

  it('keeps one object written twice (a REFP to its referent) as one TaggedValue', () => {
    const [first, second] = sereal.decode(docs.get('same_object') as Buffer) as TaggedValue[];
    expect(second).toBe(first);
  });

  it.each(refused)('refuses %s', (name, message) => {
    let error: unknown;
    try {
      sereal.decode(docs.get(name) as Buffer);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({
      data: { format: 'SERL' },
      code: 'CODEC_MALFORMED',
      message: expect.stringMatching(message),
    });
  });
});

// Event::RPC's own scenarios over SERL run with JSON and CBOR in perl-rpc.test.ts; here, the values only Sereal carries
// this way.
describe('Event::RPC over SERL', () => {
  it('our client against the Perl server: integers to 64 bits, booleans, byte strings and text', async () => {
    await using perlServer = await startPerlServer(['--formats', 'SERL']);
    await using client = new Client({ host: '127.0.0.1', port: perlServer.port, messageFormats: [serealCodec()] });
    await client.connect();
    expect(client.format).toBe('SERL');
    const main = await client.remoteClass<EventRpcTest, [string, string]>('Event_RPC_Test').new('data', 'wire');
    const echoed = [
      'Grüße',
      '你好世界',
      '😀',
      7,
      -42,
      3.25,
      -0.5,
      0.1,
      null,
      true,
      false,
      [1, { a: 'b' }],
      2n ** 64n - 1n,
      -(2n ** 63n),
      9007199254740991,
      '',
    ];
    expect(await main.echo(...echoed)).toEqual(echoed);
    expect(await main.echo(Uint8Array.of(0x47, 0xfc))).toBe('G\u00fc'); // a Perl byte string, read as latin-1
    expect(await main.big_string(200_000)).toHaveLength(200_000);
  });
});
