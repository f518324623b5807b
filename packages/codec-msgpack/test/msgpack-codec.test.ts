import { ProtocolError, TaggedValue } from '@rpc/codec';
import { msgpackCodec } from '@rpc/codec-msgpack';
import { Packr } from 'msgpackr';

const msgpack = msgpackCodec();

describe('msgpackCodec', () => {
  it('round-trips binary, BigInt, tagged values and undefined as nil', () => {
    const value = {
      bytes: Uint8Array.of(1, 2, 3),
      big: 2n ** 63n,
      small: 42,
      tag: new TaggedValue('A', [['SCALAR', 'A=OBJ(1)']]),
      gone: undefined,
    };
    expect(msgpack.decode(msgpack.encode(value))).toEqual({ ...value, gone: null });
  });

  it('writes a tagged value as extension 26 holding a plain MessagePack array', () => {
    // fixext 4, type 26, payload ["A", 1]
    expect(Buffer.from(msgpack.encode(new TaggedValue('A', [1]))).toString('hex')).toBe('d61a92a14101');
  });

  it('keeps __proto__ and constructor as plain data on both decoding paths', () => {
    const proto = Buffer.from('82a95f5f70726f746f5f5f81a17801ab636f6e7374727563746f7202', 'hex'); // {"__proto__": {"x": 1}, "constructor": 2}
    const plain = Buffer.from('81ab636f6e7374727563746f7281a17801', 'hex'); // {"constructor": {"x": 1}}
    const a = msgpack.decode(proto) as Record<string, unknown>;
    expect(Object.keys(a)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(a)).toBe(Object.prototype);
    expect(a.__proto__).toEqual({ x: 1 });
    const b = msgpack.decode(plain) as Record<string, unknown>;
    expect(b.constructor).toEqual({ x: 1 });
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('refuses nesting deeper than maxDepth and truncated input, with ProtocolError only', () => {
    const shallow = msgpackCodec({ maxDepth: 2 });
    expect(shallow.decode(Buffer.from('9191c0', 'hex'))).toEqual([[null]]);
    expect(() => shallow.decode(Buffer.from('919191c0', 'hex'))).toThrow(
      expect.objectContaining({ code: 'CODEC_TOO_DEEP' }),
    );
    expect(() => msgpack.decode(Buffer.from('92a3', 'hex'))).toThrow(ProtocolError);
  });

  it('refuses to keep an extension type msgpackr or @rpc uses itself (CODEC_INVALID_OPTION)', () => {
    for (const type of [26, 0x73, 128, -1]) {
      expect(() => msgpackCodec({ extensions: [type] })).toThrow(
        expect.objectContaining({ name: 'UsageError', code: 'CODEC_INVALID_OPTION' }),
      );
    }
    expect(msgpackCodec({ extensions: [0, 1, 2] }).name).toBe('MSGP');
  });

  // msgpackr copies the whole input for every unpack begun inside another: reading each extension-26 payload there
  // made n tagged values take time in n² (200,000 took 139 s, 60,000 about 12 s). They are read after the message now.
  it('reads 60,000 tagged values in linear time', () => {
    const value = Array.from({ length: 60_000 }, (_, i) => new TaggedValue('My::Class', [['SCALAR', `oid ${i}`]]));
    const bytes = msgpack.encode(value);
    const started = process.hrtime.bigint();
    const decoded = msgpack.decode(bytes) as TaggedValue[];
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(3000);
    expect(decoded[59_999]).toEqual(value[59_999]);
  });

  it("prices a message holding msgpackr's own extensions at its worst: records make bytes 0x40-0x7f objects", () => {
    // A record with no keys (d4 72 40 90), then 2 Mi bytes 0x40: two million objects, 128 MiB.
    const bytes = new Uint8Array(2 * 2 ** 20 + 9).fill(0x40);
    bytes.set([0xdd, 0x00, 0x20, 0x00, 0x01, 0xd4, 0x72, 0x40, 0x90]);
    expect(() => msgpack.decode(bytes)).toThrow(expect.objectContaining({ code: 'CODEC_TOO_LARGE' }));
    expect(msgpack.decode(Buffer.from('92d472409040', 'hex'))).toEqual([{}, {}]); // small: not priced, read as before
  });

  it('refuses bytes after the value of a priced message before msgpackr builds it (and turns it into JSON)', () => {
    const bytes = Buffer.concat([
      Buffer.from(msgpack.encode(Array.from({ length: 1000 }, (_, i) => ({ i })))),
      Buffer.of(0xc0),
    ]);
    expect(() => msgpackCodec({ maxHeapBytes: 300_000 }).decode(bytes)).toThrow(
      expect.objectContaining({
        code: 'CODEC_MALFORMED',
        message: expect.stringMatching(/^MSGP: bytes after the value/),
      }),
    );
  });

  describe('a large message', () => {
    const MIB = 1024 * 1024;
    const reference = new Packr({
      useRecords: false,
      encodeUndefinedAsNil: true,
      variableMapSize: true,
      structuredClone: false,
      moreTypes: false,
    });

    it.each([
      ['bytes', { ok: 1, data: [new Uint8Array(2 * MIB).fill(7)], id: 3 }],
      ['ASCII', { ok: 1, data: ['x'.repeat(2 * MIB)], id: 3 }],
      ['latin-1', { ok: 1, data: ['é'.repeat(MIB)] }],
      ['CJK', ['你'.repeat(MIB), 'short']],
      [
        'emoji and lone surrogates (read back as U+FFFD)',
        { a: '😀'.repeat(MIB / 2), b: `a\ud800b${'\udc00'.repeat(MIB)}` },
      ],
      ['a __proto__ key', JSON.parse(`{"__proto__": "${'q'.repeat(MIB)}", "k": [1, 2.5, null]}`)],
    ])(
      '(%s) after a large one has the bytes msgpackr writes, alone at the start of a buffer of its size',
      (name, value) => {
        const codec = msgpackCodec();
        codec.encode({ data: [new Uint8Array(2 * MIB)] }); // the first is written as msgpackr likes
        const bytes = codec.encode(value);
        expect(Buffer.from(bytes).equals(reference.pack(value))).toBe(true);
        expect(bytes.byteOffset).toBe(0);
        expect(bytes.buffer.byteLength).toBeLessThan(bytes.length + 100);
        if (!/U\+FFFD/.test(name)) expect(codec.decode(bytes)).toEqual(value);
      },
    );

    it('leaves the next messages out of its buffer', () => {
      const large = msgpack.encode({ data: [new Uint8Array(2 * MIB)] });
      const small = msgpack.encode({ data: [1] });
      expect(small.buffer).not.toBe(large.buffer);
      expect(small.buffer.byteLength).toBeLessThan(MIB);
      // One that msgpackr had to grow for (too many values to price) leaves its buffer too.
      const many = msgpack.encode(Array.from({ length: 100 }, () => 'y'.repeat(20_000)));
      expect(many.length).toBeGreaterThan(MIB);
      expect(msgpack.encode({ data: [2] }).buffer).not.toBe(many.buffer);
    });

    it('prices messages only for a while after a large one, so that small ones pay nothing', () => {
      const codec = msgpackCodec();
      const value = { data: [new Uint8Array(2 * MIB)] };
      codec.encode(value);
      expect(codec.encode(value).buffer.byteLength).toBeLessThan(2 * MIB + 100);
      for (let i = 0; i < 40; i++) codec.encode({ i });
      expect(codec.encode(value).buffer.byteLength).toBeGreaterThan(2 * MIB + 100); // the first of a new run
    });
  });
});
