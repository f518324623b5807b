import { TaggedValue } from '@rpc/codec';
import { doc, expectRefused, sereal } from './helpers.js';

// Hand-made documents from sereal_spec.pod, one group per kind of tag. Offsets
// (REFP, ALIAS, COPY, OBJECTV) count body bytes from 1 in protocol 2 and later.
const decode = (body: string): unknown => sereal.decode(doc(body));
const ascii = (text: string): string => Buffer.from(text, 'latin1').toString('hex');

describe('integers', () => {
  it.each([
    ['POS_0', '00', 0],
    ['POS_15', '0f', 15],
    ['NEG_16', '10', -16],
    ['NEG_1', '1f', -1],
    ['VARINT 16', '2010', 16],
    ['VARINT 1000', '20e807', 1000],
    ['VARINT 2^53-1', '20ffffffffffffff0f', Number.MAX_SAFE_INTEGER],
    ['ZIGZAG -17', '2121', -17],
    ['ZIGZAG -1000', '21cf0f', -1000],
    ['ZIGZAG of a positive value', '2102', 1],
    ['ZIGZAG -(2^53-1)', '21fdffffffffffff1f', -Number.MAX_SAFE_INTEGER],
  ])('%s', (_label, body, value) => {
    expect(decode(body)).toBe(value);
  });

  it('reads integers beyond 2^53 as BigInt, up to the 64 bits of a Perl UV or IV', () => {
    expect(decode('208180808080808010')).toBe(2n ** 53n + 1n);
    expect(decode('20ffffffffffffffffff01')).toBe(2n ** 64n - 1n);
    expect(decode('21ffffffffffffffffff01')).toBe(-(2n ** 63n));
    expect(decode(`20${'80'.repeat(9)}01`)).toBe(2n ** 63n);
    expect(decode(`20${'80'.repeat(8)}01`)).toBe(2n ** 56n);
  });

  it('refuses varints beyond 64 bits, longer than 10 bytes, or cut short', () => {
    expectRefused(doc('20ffffffffffffffffff02'), 'CODEC_MALFORMED', /integer beyond 64 bits/);
    expectRefused(doc(`20${'ff'.repeat(10)}01`), 'CODEC_MALFORMED', /varint longer than 10 bytes/);
    expectRefused(doc('20ff'), 'CODEC_MALFORMED', /the document ends early \(at byte 8\)/);
  });
});

describe('floating point', () => {
  it('reads FLOAT and DOUBLE, little endian', () => {
    expect(decode('2200005040')).toBe(3.25);
    expect(decode('239a9999999999b93f')).toBe(0.1);
    expect(decode('220000807f')).toBe(Infinity);
    expect(decode('22000080ff')).toBe(-Infinity);
    expect(decode('220000c07f')).toBeNaN();
    expect(Object.is(decode('2200000080'), -0)).toBe(true);
  });

  it('refuses LONG_DOUBLE and FLOAT_128 clearly, and a float cut short', () => {
    expectRefused(
      doc(`24${'00'.repeat(16)}`),
      'CODEC_MALFORMED',
      /LONG_DOUBLE \(from a Perl built with long doubles or quadmath\) is not supported/,
    );
    expectRefused(doc(`38${'00'.repeat(16)}`), 'CODEC_MALFORMED', /FLOAT_128 .* is not supported/);
    expectRefused(doc('23000000'), 'CODEC_MALFORMED', /ends early/);
  });
});

describe('undef and booleans', () => {
  it.each([
    ['UNDEF', '25', null],
    ['CANONICAL_UNDEF', '39', null],
    ['TRUE (PL_sv_yes)', '3b', true],
    ['FALSE (PL_sv_no)', '3a', false],
    ['YES (a Perl 5.36 boolean)', '35', true],
    ['NO', '34', false],
  ])('%s', (_label, body, value) => {
    expect(decode(body)).toBe(value);
  });
});

describe('strings', () => {
  it('reads SHORT_BINARY and BINARY as Perl byte strings: one latin-1 character per byte', () => {
    expect(decode('60')).toBe('');
    expect(decode(`63${ascii('abc')}`)).toBe('abc');
    expect(decode('654772fcdf65')).toBe('Grüße');
    expect(decode(`7f${'78'.repeat(31)}`)).toBe('x'.repeat(31));
    expect(decode(`2620${'79'.repeat(32)}`)).toBe('y'.repeat(32));
    expect(decode('2603fc00ff')).toBe('ü\u0000ÿ');
    expect(decode(`26c801${'7a'.repeat(200)}`)).toBe('z'.repeat(200));
  });

  it('reads STR_UTF8 as text, keeping a byte order mark and replacing bad sequences', () => {
    expect(decode('27074772c3bcc39f65')).toBe('Grüße');
    expect(decode('270ce4bda0e5a5bde4b896e7958c')).toBe('你好世界');
    expect(decode('2704f09f9880')).toBe('😀');
    expect(decode(`2703${ascii('abc')}`)).toBe('abc');
    expect(decode(`27c801${'c3bc'.repeat(100)}`)).toBe('ü'.repeat(100));
    expect(decode('2703efbbbf')).toBe('\ufeff');
    expect(decode('2702c328')).toBe('\ufffd(');
  });

  it('refuses a string longer than the bytes left, before reading it', () => {
    expectRefused(doc('2605616263'), 'CODEC_MALFORMED', /a string of 5 bytes runs past the input/);
    expectRefused(doc('27ffffffff0f61'), 'CODEC_MALFORMED', /a string of 4294967295 bytes runs past the input/);
    expectRefused(doc('6561'), 'CODEC_MALFORMED', /a string of 5 bytes runs past the input/);
  });
});

describe('arrays, hashes and references', () => {
  it('reads ARRAYREF_n, REFN ARRAY and a bare ARRAY', () => {
    expect(decode('40')).toEqual([]);
    expect(decode('4301020a')).toEqual([1, 2, 10]);
    expect(decode(`4f${'01'.repeat(15)}`)).toEqual(new Array(15).fill(1));
    expect(decode('282b03010203')).toEqual([1, 2, 3]);
    expect(decode('2b0101')).toEqual([1]);
  });

  it('reads HASHREF_n and REFN HASH into plain objects, keys in order', () => {
    expect(decode('50')).toEqual({});
    const value = decode(`52${'6162'}01${'6161'}02`) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['b', 'a']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(decode('282a0261610162616202')).toEqual({ a: 1, ab: 2 });
  });

  it('reads keys of every string type, and keeps __proto__ and constructor plain keys', () => {
    expect(decode('53 27074772c3bcc39f65 01 26026b31 02 626262 03')).toEqual({ Grüße: 1, k1: 2, bb: 3 });
    const value = decode(`52 69${ascii('__proto__')} 51617801 6b${ascii('constructor')} 02`) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(value.__proto__).toEqual({ x: 1 });
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('refuses a hash key that is not a string', () => {
    expectRefused(doc('510101'), 'CODEC_MALFORMED', /a hash key must be a string, not POS_1/);
    expectRefused(doc('514001'), 'CODEC_MALFORMED', /a hash key must be a string, not ARRAYREF_0/);
  });

  it('reads a reference to a scalar as the scalar (JavaScript has no scalar references)', () => {
    expect(decode('2801')).toBe(1);
    expect(decode(`2828${'6178'}`)).toBe('x');
    expect(decode('412825')).toEqual([null]);
  });

  it('skips PAD anywhere a tag may stand, and the WEAKEN marker', () => {
    expect(decode('3f3f01')).toBe(1);
    expect(decode('423f013f02')).toEqual([1, 2]);
    expect(decode('51 3f 6161 3f 01')).toEqual({ a: 1 });
    expect(decode('42302801 6178')).toEqual([1, 'x']);
    expect(decode('4228ab0101302903')).toEqual([[1], [1]]);
  });
});

describe('tracked items: REFP, ALIAS, COPY', () => {
  it('REFP to a tracked array gives that same array', () => {
    const value = decode('4228ab0201022903') as unknown[][];
    expect(value).toEqual([
      [1, 2],
      [1, 2],
    ]);
    expect(value[1]).toBe(value[0]);
  });

  it('REFP to a tracked hash or scalar, ALIAS to a tracked scalar', () => {
    const hashes = decode('4228aa016161012903') as object[];
    expect(hashes[1]).toBe(hashes[0]);
    expect(decode('4228e36162632903')).toEqual(['abc', 'abc']);
    expect(decode('42812e02')).toEqual([1, 1]);
    expect(decode('42282b01852e05')).toEqual([[5], 5]);
  });

  it('refuses REFP and ALIAS to an untracked item, a forward offset, offset 0 and cycles', () => {
    expectRefused(doc('42282b0201022903'), 'CODEC_MALFORMED', /REFP to offset 3, where no finished tracked item is/);
    expectRefused(doc('42012e02'), 'CODEC_MALFORMED', /ALIAS to offset 2, where no finished tracked item is/);
    expectRefused(doc('42290501'), 'CODEC_MALFORMED', /REFP offset 5 does not point back into the body/);
    expectRefused(doc('42290001'), 'CODEC_MALFORMED', /REFP offset 0 does not point back into the body/);
    // [$cycle] where $cycle = [$cycle], and a hash holding a weakened reference to itself, as Perl writes them.
    expectRefused(doc('28ab012902'), 'CODEC_MALFORMED', /a cycle/);
    expectRefused(doc('28aa016473656c66302902'), 'CODEC_MALFORMED', /a cycle/);
  });

  it('COPY repeats a hash key, a string, or a whole item', () => {
    // [{aa => 1}, {aa => 2}, {aa => 3}] as Perl writes it: keys after the first are COPYs.
    expect(decode('43282a0162616101282a012f0502282a012f0503')).toEqual([{ aa: 1 }, { aa: 2 }, { aa: 3 }]);
    expect(decode(`42${`63${ascii('abc')}`}2f02`)).toEqual(['abc', 'abc']);
    const copies = decode('424201022f02') as unknown[][];
    expect(copies).toEqual([
      [1, 2],
      [1, 2],
    ]);
    expect(copies[1]).not.toBe(copies[0]);
  });

  it('refuses a COPY of a COPY, a forward COPY, and one into the header', () => {
    expectRefused(doc('43 6161 2f02 2f04'), 'CODEC_MALFORMED', /a COPY inside a COPY/);
    expectRefused(doc('422f0501'), 'CODEC_MALFORMED', /COPY offset 5 does not point back into the body/);
    // Protocol 1 counts offsets from the document's first byte: 3 is inside the header.
    expectRefused(
      doc('422f0301', '3d73726c0100'),
      'CODEC_MALFORMED',
      /COPY offset 3 does not point back into the body/,
    );
    expectRefused(doc('52 6161 01 2f01 02'), 'CODEC_MALFORMED', /expected a string, found HASHREF_2/);
  });

  it('counts protocol 1 offsets from the start of the document', () => {
    expect(sereal.decode(doc('425162616201512f0802', '3d73726c0100'))).toEqual([{ ab: 1 }, { ab: 2 }]);
    expect(sereal.decode(doc('425162616201512f0302', '3d73726c0200'))).toEqual([{ ab: 1 }, { ab: 2 }]);
  });
});

describe('blessed objects', () => {
  const object = (className: string, kind: string, payload: unknown): TaggedValue =>
    new TaggedValue(className, [[kind, payload]]);

  it('reads a blessed scalar reference as Event::RPC FREEZE would give it: [SCALAR, value]', () => {
    // bless \"Event_RPC_Test2=HASH(0x558656466a10)", 'Event_RPC_Test2', as Sereal::Encoder->new writes it.
    const oid = 'Event_RPC_Test2=HASH(0x558656466a10)';
    expect(decode(`2c6f${ascii('Event_RPC_Test2')}282624${ascii(oid)}`)).toEqual(
      object('Event_RPC_Test2', 'SCALAR', oid),
    );
  });

  it('reads blessed arrays and hashes as [ARRAY, items] and [HASH, [key, value, ...]]', () => {
    expect(decode('2c6141420102')).toEqual(object('A', 'ARRAY', [1, 2]));
    expect(decode('2c6141282b020102')).toEqual(object('A', 'ARRAY', [1, 2]));
    expect(decode('2c614852616b6176616c02')).toEqual(object('H', 'HASH', ['k', 'v', 'l', 2]));
  });

  it('reads OBJECTV (a class name used before) and a class name that is a COPY or UTF-8', () => {
    expect(decode('422c6143286161 2d03286162')).toEqual([object('C', 'SCALAR', 'a'), object('C', 'SCALAR', 'b')]);
    expect(decode('42 6141 2c2f02 2801')).toEqual(['A', object('A', 'SCALAR', 1)]);
    expect(decode('2c2702c3bc2801')).toEqual(object('ü', 'SCALAR', 1));
  });

  it('makes a REFP to a blessed referent the same object', () => {
    // [$obj, $obj]: the second is a REFP to the tracked referent of the first.
    const value = decode(`422c63${ascii('Cls')}28e3${ascii('X=1')}2908`) as TaggedValue[];
    expect(value[0]).toEqual(object('Cls', 'SCALAR', 'X=1'));
    expect(value[1]).toBe(value[0]);
  });

  it('keeps a REFP meaning the first object when the object was also read again through COPY', () => {
    // [$obj, COPY of $obj, REFP to $obj's referent]
    const [first, copy, again] = decode('43 2c6141 28e178 2f02 2906') as TaggedValue[];
    expect(first).toEqual(object('A', 'SCALAR', 'x'));
    expect(copy).toEqual(first);
    expect(copy).not.toBe(first);
    expect(again).toBe(first);
  });

  it('reads OBJECT_FREEZE and OBJECTV_FREEZE as the class and the FREEZE values', () => {
    // Sereal::Encoder->new({freeze_callbacks => 1}) for two objects whose FREEZE returns ('SCALAR', $$self).
    const value = decode('423262467a282b02665343414c4152636f69643303282b02665343414c41526170');
    expect(value).toEqual([new TaggedValue('Fz', ['SCALAR', 'oid']), new TaggedValue('Fz', ['SCALAR', 'p'])]);
  });

  it('refuses an object that is no reference, a class name that is no string, and a bad OBJECTV', () => {
    expectRefused(doc('2c614101'), 'CODEC_MALFORMED', /a blessed item must be a reference, not POS_1/);
    expectRefused(doc('2c012801'), 'CODEC_MALFORMED', /a class name must be a string, not POS_1/);
    expectRefused(doc('4261432d022801'), 'CODEC_MALFORMED', /OBJECTV offset 2 names no earlier class name/);
    expectRefused(doc('3261412801'), 'CODEC_MALFORMED', /OBJECT_FREEZE must hold an array of FREEZE values/);
    expectRefused(doc('2c61412c61422801'), 'CODEC_MALFORMED', /a blessed item must be a reference, not OBJECT/);
  });
});

describe('tags that are refused', () => {
  it.each([
    ['REGEXP', `31${'6161'}${'6169'}`, /regular expressions \(REGEXP\) are not supported/],
    ['MANY', '3c0101', /unexpected tag MANY/],
    ['EXTEND', '3e00', /unexpected tag EXTEND/],
    ['PACKET_START', '3d', /unexpected tag PACKET_START/],
    ['RESERVED_0', '36', /unexpected tag RESERVED_0/],
    ['RESERVED_1', '37', /unexpected tag RESERVED_1/],
  ])('%s', (_label, body, message) => {
    expectRefused(doc(body), 'CODEC_MALFORMED', message);
  });

  it('names the byte where the problem is', () => {
    expect(expectRefused(doc('42 01 31'), 'CODEC_MALFORMED', /REGEXP/).data).toMatchObject({ offset: 8 });
  });
});
