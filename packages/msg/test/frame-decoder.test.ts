import { encodeFrame, FrameDecoder, MAX_PACKET_SIZE_LIMIT, ProtocolError } from '@rpc/msg';

const text = new TextEncoder();

function frames(...payloads: string[]): { bytes: Uint8Array; payloads: Uint8Array[] } {
  const encoded = payloads.map((p) => encodeFrame(text.encode(p)));
  return { bytes: Buffer.concat(encoded), payloads: payloads.map((p) => text.encode(p)) };
}

function decodeChunks(chunks: Uint8Array[], maxPacketSize?: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const decoder = new FrameDecoder((payload) => out.push(payload.slice()), maxPacketSize);
  for (const chunk of chunks) decoder.push(chunk);
  expect(decoder.bufferedBytes).toBe(0);
  return out;
}

describe('FrameDecoder', () => {
  const { bytes, payloads } = frames('hello', '', 'x', 'a somewhat longer message with ünïcödé', '');

  it('decodes many frames from one chunk, empty ones included', () => {
    expect(decodeChunks([bytes])).toEqual(payloads);
  });

  it('decodes frames split at every byte boundary', () => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(decodeChunks([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(payloads);
    }
  });

  it('decodes frames split at every pair of byte boundaries', () => {
    for (let a = 0; a <= bytes.length; a++) {
      for (let b = a; b <= bytes.length; b++) {
        expect(decodeChunks([bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)])).toEqual(payloads);
      }
    }
  });

  it('decodes a stream fed one byte at a time and in random chunk sizes', () => {
    const oneByOne = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
    expect(decodeChunks(oneByOne)).toEqual(payloads);
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 9;
    for (let round = 0; round < 200; round++) {
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < bytes.length; ) {
        const size = random();
        chunks.push(bytes.subarray(at, at + size));
        at += size;
      }
      expect(decodeChunks(chunks)).toEqual(payloads);
    }
  });

  it('hands out frames whole inside a chunk as views, without copying', () => {
    const seen: Uint8Array[] = [];
    new FrameDecoder((payload) => seen.push(payload)).push(bytes);
    expect(seen[0]?.buffer).toBe(bytes.buffer);
    expect(seen[0]?.constructor).toBe(Uint8Array);
  });

  it('rejects an over-limit declared length at the header, before any payload arrives', () => {
    const decoder = new FrameDecoder(() => undefined, 1024);
    const header = new Uint8Array([0xff, 0xff, 0xff, 0xff]);
    let error: unknown;
    try {
      decoder.push(header);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({
      code: 'MSG_FRAME_TOO_LARGE',
      data: { declaredLength: MAX_PACKET_SIZE_LIMIT },
      message: 'peer declared a 4294967295-byte message; the limit is 1024 bytes',
    });
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('accepts a frame of exactly maxPacketSize and refuses one byte more', () => {
    expect(decodeChunks([encodeFrame(new Uint8Array(16))], 16)).toHaveLength(1);
    expect(() => decodeChunks([encodeFrame(new Uint8Array(17))], 16)).toThrow(ProtocolError);
  });

  it('holds only the bytes received of a frame that declares far more', () => {
    const decoder = new FrameDecoder(() => undefined, 2 ** 31);
    const header = new Uint8Array([0x40, 0, 0, 0]); // 1 GiB declared
    decoder.push(header);
    decoder.push(new Uint8Array(1000));
    expect(decoder.bufferedBytes).toBe(1004);
  });
});
