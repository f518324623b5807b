import { CodecRegistry, ProtocolError, PERL_FORMATS, ServerNegotiation, TaggedValue } from '@rpc/codec';
import { SEREAL_FORMAT, serealCodec } from '@rpc/codec-sereal';
import { doc, sereal, thrownBy } from './helpers.js';

describe('serealCodec', () => {
  it('is the secure format Event::RPC calls SERL, offered first to Perl clients', () => {
    expect(sereal).toMatchObject({ name: 'SERL', insecure: false });
    expect(SEREAL_FORMAT).toBe('SERL');
    expect(PERL_FORMATS[0]).toBe('SERL');
    expect(new ServerNegotiation({ formats: new CodecRegistry([serealCodec()]) }).offer).toEqual(['SERL']);
  });

  it('round-trips an Event::RPC request and answer', () => {
    const object = new TaggedValue('Event_RPC_Test2', [['SCALAR', 'Event_RPC_Test2=HASH(0x558656466a10)']]);
    const request = {
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
    expect(sereal.decode(sereal.encode(request))).toEqual(request);
    const answer = {
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
    };
    expect(sereal.decode(sereal.encode(answer))).toEqual(answer);
  });

  it('round-trips every blessed-object shape', () => {
    const shapes = [
      new TaggedValue('S', [['SCALAR', 'oid']]),
      new TaggedValue('S', [['SCALAR', [1, { deep: true }]]]),
      new TaggedValue('A', [['ARRAY', [1, 'two']]]),
      new TaggedValue('H', [['HASH', ['k', 'v', 'n', 2]]]),
      new TaggedValue('F', ['any', 'freeze', 'values']),
      new TaggedValue('Ünïcode::Class', []),
      new TaggedValue('Nested', [new TaggedValue('Inner', [['SCALAR', 1]])]),
    ];
    expect(sereal.decode(sereal.encode(shapes))).toEqual(shapes);
  });

  it('reads byte strings back as latin-1 text, as the CBOR codec does with Perl byte strings', () => {
    expect(sereal.decode(sereal.encode({ bytes: Uint8Array.of(0, 1, 127, 128, 255) }))).toEqual({
      bytes: '\u0000\u0001\u007f\u0080\u00ff',
    });
  });

  it('lets only its ProtocolErrors out of the decoder, naming the format', () => {
    for (const input of [
      new Uint8Array(),
      doc('28'),
      doc('2b05'),
      doc('2c'),
      Uint8Array.of(0x3d, 0xf3, 0x72, 0x6c, 0x05),
    ]) {
      const error = thrownBy(() => sereal.decode(input));
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error).toMatchObject({ data: { format: 'SERL' } });
    }
  });

  it('decodes from a view into a larger buffer', () => {
    const bytes = sereal.encode({ a: [1.5, 0.1] });
    const padded = new Uint8Array(bytes.length + 10);
    padded.set(bytes, 5);
    expect(sereal.decode(padded.subarray(5, 5 + bytes.length))).toEqual({ a: [1.5, 0.1] });
  });
});
