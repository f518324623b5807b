import { TaggedValue } from '@rpc/codec';
import { cborCodec } from '@rpc/codec-cbor';
import { Encoder } from 'cbor-x';
import { WRITE_OPTIONS } from '../src/cbor-codec.js';

const cbor = cborCodec();
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('cborCodec', () => {
  it('writes integers beyond 32 bits as CBOR integers, as CBOR::XS does, not as floats', () => {
    expect(hex(cbor.encode(2 ** 53 - 1))).toBe('1b001fffffffffffff');
    expect(hex(cbor.encode(-(2 ** 53 - 1)))).toBe('3b001ffffffffffffe');
    expect(hex(cbor.encode([4294967296, 7]))).toBe('821b000000010000000007');
    expect(hex(cbor.encode(3.25))).toBe('fb400a000000000000'); // floats stay floats
    expect(cbor.decode(cbor.encode({ big: 2 ** 40 }))).toEqual({ big: 2 ** 40 });
  });

  it('reads Perl byte strings as latin-1 text, in keys and values', () => {
    // {'cmd': 'Grüße'} with both strings as byte strings (major type 2), as CBOR::XS sends them.
    expect(cbor.decode(Buffer.from('a143636d64454772fcdf65', 'hex'))).toEqual({ cmd: 'Grüße' });
  });

  it('writes and reads a blessed object as tag 26 [Class, ...]', () => {
    const object = new TaggedValue('Event_RPC_Test2', [['SCALAR', 'Event_RPC_Test2=OBJ(1)']]);
    const bytes = cbor.encode({ params: [object, 2 ** 40] });
    expect(hex(bytes)).toContain('d81a82'); // tag 26, a 2-element array
    expect(cbor.decode(bytes)).toEqual({ params: [object, 2 ** 40] });
  });

  it('decodes integers beyond 2^53 as BigInt and keeps __proto__ a plain key', () => {
    expect(cbor.decode(Buffer.from('1bffffffffffffffff', 'hex'))).toBe(2n ** 64n - 1n);
    const value = cbor.decode(Buffer.from('a1695f5f70726f746f5f5fa1617801', 'hex')) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  // 106 kB used to become 200 MB in 2.4 s: a 100 kB byte string shared (tags 28/29) 2000 times, each made a string.
  it('refuses a byte string shared into more strings than maxHeapBytes allows, as the walk makes them', () => {
    const refs = 2000;
    const head = Buffer.from([0x99, refs >> 8, (refs + 1) & 0xff, 0xd8, 0x1c, 0x5a, 0x00, 0x01, 0x86, 0xa0]);
    const bytes = Buffer.concat([head, Buffer.alloc(100_000, 0x61), Buffer.from('d81d00'.repeat(refs), 'hex')]);
    const started = process.hrtime.bigint();
    expect(() => cbor.decode(bytes)).toThrow(
      expect.objectContaining({
        name: 'ProtocolError',
        code: 'CODEC_TOO_LARGE',
        data: expect.objectContaining({ format: 'CBOR' }),
      }),
    );
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(2000);
  });

  it("prices a message holding cbor-x's own record tags at its worst", () => {
    const bytes = new Uint8Array(2 ** 20).fill(0xf6); // [105([...]), null, null, ...]
    bytes.set([0x9a, 0x00, 0x0f, 0xff, 0xf9, 0xd8, 0x69, 0x80]);
    expect(() => cbor.decode(bytes)).toThrow(expect.objectContaining({ code: 'CODEC_TOO_LARGE' }));
  });

  it('writes large messages as cbor-x does, alone at the start of a buffer (after the first, of about their size)', () => {
    const reference = new Encoder(WRITE_OPTIONS);
    const codec = cborCodec();
    const first = codec.encode([new Uint8Array(2 ** 21)]); // written as cbor-x likes
    expect(first.byteOffset).toBe(0);
    expect(codec.encode([1]).buffer).not.toBe(first.buffer); // the next message has a buffer of its own
    for (const value of [{ ok: 1, data: [new Uint8Array(2 ** 21).fill(1)], id: 3 }, ['x'.repeat(2 ** 20), 7]]) {
      const bytes = codec.encode(value);
      expect(Buffer.from(bytes).equals(reference.encode(value))).toBe(true);
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.buffer.byteLength).toBeLessThan(3 * bytes.length + 100); // three bytes per character reserved
      expect(codec.encode([1]).buffer).not.toBe(bytes.buffer);
    }
  });
});
