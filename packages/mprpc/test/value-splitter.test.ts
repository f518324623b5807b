import { MsgpackExtension, msgpackCodec } from '@rpc/codec-msgpack';
import { ProtocolError, ValueSplitter } from '@rpc/mprpc';

const codec = msgpackCodec({ extensions: [0] });
const values: unknown[] = [
  [0, 1, 'nvim_eval', ['1+2']],
  [1, 1, null, 3],
  [2, 'note', ['x']],
  { nested: { map: [1, -1, 300, -300, 70000, -70000, 2 ** 40, -(2 ** 40), 1.5, true, false, null] } },
  'x'.repeat(40),
  'y'.repeat(300),
  'z'.repeat(70000),
  Uint8Array.from({ length: 300 }, (_, i) => i & 0xff),
  new MsgpackExtension(0, Uint8Array.of(1)),
  new MsgpackExtension(0, new Uint8Array(3)),
  new MsgpackExtension(0, new Uint8Array(300)),
  Array.from({ length: 20 }, (_, i) => i),
  Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])),
  [],
  {},
  2n ** 63n,
];
const stream = Buffer.concat(values.map((v) => codec.encode(v)));

function split(chunks: Uint8Array[], max = 1 << 30): unknown[] {
  const out: unknown[] = [];
  const splitter = new ValueSplitter((bytes) => out.push(codec.decode(bytes)), max);
  for (const chunk of chunks) splitter.push(chunk);
  expect(splitter.bufferedBytes).toBe(0);
  return out;
}

describe('ValueSplitter', () => {
  it('finds every value of a stream in one chunk', () => {
    expect(split([stream])).toEqual(values);
  });

  it('finds them with the stream cut at every byte', () => {
    for (let cut = 0; cut <= stream.length; cut += cut < 200 || cut > stream.length - 200 ? 1 : 97) {
      expect(split([stream.subarray(0, cut), stream.subarray(cut)])).toEqual(values);
    }
  });

  it('finds them fed one byte at a time', () => {
    const small = Buffer.concat(values.slice(0, 5).map((v) => codec.encode(v)));
    expect(split(Array.from(small, (_, i) => small.subarray(i, i + 1)))).toEqual(values.slice(0, 5));
  });

  it('hands out a value that lies whole in a chunk as a view of it', () => {
    const seen: Uint8Array[] = [];
    new ValueSplitter((bytes) => seen.push(bytes), 1 << 20).push(stream);
    expect(seen[0]?.buffer).toBe(stream.buffer);
  });

  it('refuses a value whose header declares more than the limit, before its payload arrives', () => {
    const refuse = (header: number[]) => {
      const splitter = new ValueSplitter(() => undefined, 1024);
      let error: unknown;
      try {
        splitter.push(Uint8Array.from(header));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error).toMatchObject({
        code: 'MPRPC_MESSAGE_TOO_LARGE',
        message: 'a MessagePack value declares more than 1024 bytes',
      });
      expect(splitter.bufferedBytes).toBe(0);
    };
    refuse([0xc6, 0x40, 0, 0, 0]); // bin32 of 1 GiB
    refuse([0xdb, 0xff, 0xff, 0xff, 0xff]); // str32 of 4 GiB
    refuse([0xdd, 0xff, 0xff, 0xff, 0xff]); // an array of 4 billion values
    refuse([0x94, 0x00, 0xdf, 0x10, 0, 0, 0]); // a map of 2^28 pairs inside an array
  });

  it('accepts a value of exactly the limit and refuses one byte more', () => {
    const exact = codec.encode('a'.repeat(100)); // str8: 2 + 100 bytes
    expect(split([exact], exact.length)).toEqual(['a'.repeat(100)]);
    expect(() => split([codec.encode('a'.repeat(101))], exact.length)).toThrow(ProtocolError);
  });

  it('refuses a byte that starts no value', () => {
    expect(() => split([Uint8Array.of(0x91, 0xc1)])).toThrow(
      expect.objectContaining({ code: 'MPRPC_MALFORMED', message: 'byte 0xc1 starts no MessagePack value' }),
    );
  });
});
