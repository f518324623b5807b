// A hostile message cannot make a decoder spend heap: one whose value would take more than maxHeapBytes is refused
// with CODEC_TOO_LARGE before it is built (16 MiB of empty maps once made msgpackr build 1 GiB), and large
// legitimate messages still decode.
import { type Codec, DEFAULT_MAX_HEAP_BYTES, isCodecError, ProtocolError } from '@rpc/codec';
import { cborCodec } from '@rpc/codec-cbor';
import { jsonCodec } from '@rpc/codec-json';
import { msgpackCodec } from '@rpc/codec-msgpack';
import { serealCodec } from '@rpc/codec-sereal';

const MiB = 2 ** 20;
const SIZE = 16 * MiB;
const LIMIT = 'maxHeapBytes (64.0 MiB)';
type Format = 'JSON' | 'CBOR' | 'MSGP' | 'SERL';
const codecs: Record<Format, Codec> = {
  JSON: jsonCodec(),
  CBOR: cborCodec(),
  MSGP: msgpackCodec(),
  SERL: serealCodec(),
};

const be32 = (n: number): number[] => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
function varint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
  out.push(n);
  return out;
}

/** About 16 MiB: the format's array of as many copies of `item` (its bytes; JSON: its text) as fit. */
function arrayOf(format: Format, item: number[] | string): Uint8Array {
  if (typeof item === 'string') {
    const count = Math.floor((SIZE - 2) / (item.length + 1));
    return Buffer.from(`[${`${item},`.repeat(count - 1)}${item}]`, 'latin1');
  }
  const count = Math.floor((SIZE - 16) / item.length);
  const head = {
    CBOR: [0x9a, ...be32(count)],
    MSGP: [0xdd, ...be32(count)],
    SERL: [0x3d, 0xf3, 0x72, 0x6c, 0x05, 0x00, 0x28, 0x2b, ...varint(count)], // REFN ARRAY
    JSON: [],
  }[format];
  const out = new Uint8Array(head.length + count * item.length);
  out.set(head);
  out.set(item, head.length);
  // Doubling copies: a few dozen instead of millions.
  for (let filled = item.length; head.length + filled < out.length; filled *= 2)
    out.copyWithin(head.length + filled, head.length, head.length + filled);
  return out;
}

/** The error decoding `bytes` threw, how long it took and how much the heap grew meanwhile. */
function decodeMeasured(codec: Codec, bytes: Uint8Array): { error: unknown; ms: number; grownMiB: number } {
  const heapBefore = process.memoryUsage().heapUsed;
  const started = process.hrtime.bigint();
  let error: unknown;
  try {
    codec.decode(bytes);
  } catch (thrown) {
    error = thrown;
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { error, ms, grownMiB: (process.memoryUsage().heapUsed - heapBefore) / MiB };
}

// Each of these would take 40 to 260 heap bytes per wire byte: 0.6 to 4 GiB for 16 MiB.
const hostile: Array<[string, Format, number[] | string]> = [
  ['empty maps', 'JSON', '{}'],
  ['empty arrays', 'JSON', '[]'],
  ['small integers', 'JSON', '0'],
  ['empty maps', 'CBOR', [0xa0]],
  ['empty arrays', 'CBOR', [0x80]],
  ['nulls', 'CBOR', [0xf6]],
  ['empty byte strings', 'CBOR', [0x40]],
  ['empty maps', 'MSGP', [0x80]],
  ['empty arrays', 'MSGP', [0x90]],
  ['nils', 'MSGP', [0xc0]],
  ['empty binaries', 'MSGP', [0xc4, 0x00]],
  ['empty hashes (HASHREF_0)', 'SERL', [0x50]],
  ['empty arrays (ARRAYREF_0)', 'SERL', [0x40]],
  ['undefs', 'SERL', [0x25]],
  ['tracked empty hashes', 'SERL', [0xd0]],
];

describe('a 16 MiB message of tiny values', () => {
  it.each(hostile)(
    'of %s in %s is refused with CODEC_TOO_LARGE, at once and without building it',
    (_, format, item) => {
      const bytes = arrayOf(format, item);
      const { error, ms, grownMiB } = decodeMeasured(codecs[format], bytes);
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error).toMatchObject({
        code: 'CODEC_TOO_LARGE',
        data: { format, maxHeapBytes: DEFAULT_MAX_HEAP_BYTES, heapBytes: expect.any(Number) },
      });
      const { heapBytes, offset } = (error as ProtocolError).data as { heapBytes: number; offset?: number };
      expect(heapBytes).toBeGreaterThan(DEFAULT_MAX_HEAP_BYTES);
      const where = offset === undefined ? '' : ` (at byte ${offset})`;
      expect((error as Error).message).toBe(
        `${format}: the decoded message would take more than ${LIMIT}: at least ${heapBytes} bytes${where}`,
      );
      expect(ms).toBeLessThan(2000);
      // Building it would take 0.6 GiB or more; refusing it takes next to nothing.
      expect(grownMiB).toBeLessThan(64);
    },
  );
});

describe('large legitimate messages still decode', () => {
  const formats = Object.keys(codecs) as Format[];
  const text = 'x'.repeat(SIZE);
  const letters = 'a'.repeat(SIZE);

  it.each(formats)('%s: a 16 MiB binary', (format) => {
    const payload = Buffer.alloc(SIZE, 'a'); // JSON carries bytes as a latin-1 string
    const head = {
      JSON: [0x22],
      CBOR: [0x5a, ...be32(SIZE)],
      MSGP: [0xc6, ...be32(SIZE)],
      SERL: [0x3d, 0xf3, 0x72, 0x6c, 0x05, 0x00, 0x26, ...varint(SIZE)], // BINARY
    }[format];
    const value = codecs[format].decode(
      Buffer.concat([Buffer.from(head), payload, Buffer.from(format === 'JSON' ? '"' : '')]),
    );
    // MessagePack keeps binaries as bytes; the Perl formats read them as latin-1 strings.
    if (format === 'MSGP') expect(Buffer.from(value as Uint8Array).equals(payload)).toBe(true);
    else expect(value === letters).toBe(true);
  });

  it.each(formats)('%s: a 16 MiB string', (format) => {
    expect(codecs[format].decode(codecs[format].encode(text))).toBe(text);
  });

  it.each(formats)('%s: an array of 100,000 small objects', (format) => {
    const value = Array.from({ length: 100_000 }, (_, i) => ({ id: i, name: `item ${i}`, ok: i % 2 === 0 }));
    // As JSON: jest's deep equality over 100,000 objects takes seconds.
    expect(JSON.stringify(codecs[format].decode(codecs[format].encode(value)))).toBe(JSON.stringify(value));
  });
});

describe('maxHeapBytes', () => {
  const make = { JSON: jsonCodec, CBOR: cborCodec, MSGP: msgpackCodec, SERL: serealCodec };
  const value = Array.from({ length: 10_000 }, (_, i) => ({ id: i, name: `item ${i}` }));

  it.each(Object.entries(make))(
    '%s: a lower limit refuses what the default accepts; an invalid one is refused',
    (name, codec) => {
      const bytes = codec().encode(value);
      expect(codec().decode(bytes)).toEqual(value);
      expect(() => codec({ maxHeapBytes: MiB }).decode(bytes)).toThrow(
        expect.objectContaining({
          code: 'CODEC_TOO_LARGE',
          data: expect.objectContaining({ format: name, maxHeapBytes: MiB }),
        }),
      );
      for (const bad of [0, -1, Number.NaN, '1' as unknown as number]) {
        expect(() => codec({ maxHeapBytes: bad })).toThrow(
          expect.objectContaining({ name: 'UsageError', code: 'CODEC_INVALID_OPTION' }),
        );
      }
    },
  );

  it.each(Object.entries(make))('%s: a message too small to reach the limit is never refused', (_name, codec) => {
    // 200 empty maps could take at most 200 × 272 bytes: under a 64 KiB limit whatever they are.
    const bytes = codec().encode(Array.from({ length: 200 }, () => ({})));
    const error = decodeMeasured(codec({ maxHeapBytes: 64 * 1024 }), bytes).error;
    expect(error).toBeUndefined();
    expect(isCodecError(error)).toBe(false);
  });
});
