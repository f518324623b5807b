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

  it('assembles a large frame in a buffer of its own once a quarter has arrived, copying each later chunk in', () => {
    const size = 2 * 1024 * 1024;
    const payload = new Uint8Array(size).map((_, i) => i % 251);
    const bytes = encodeFrame(payload);
    const seen: Uint8Array[] = [];
    const decoder = new FrameDecoder((frame) => seen.push(frame), size);
    const held: number[] = [];
    for (let at = 0; at < bytes.length; at += 64 * 1024) {
      decoder.push(bytes.subarray(at, at + 64 * 1024));
      held.push(decoder.bufferedBytes);
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]).toEqual(payload);
    expect(seen[0]?.constructor).toBe(Uint8Array);
    expect(seen[0]?.buffer.byteLength).toBe(size); // its own buffer, not a view of a chunk
    // The bytes received until a quarter has arrived; then the whole frame, which it holds from then on.
    expect(held[0]).toBe(64 * 1024); // header included
    expect(held[7]).toBe(8 * 64 * 1024); // 4 bytes short of a quarter
    expect(held[8]).toBe(4 + size);
    expect(held.at(-2)).toBe(4 + size);
    expect(held.at(-1)).toBe(0);
  });

  it('decodes large frames split anywhere, next to small ones', () => {
    const big = new Uint8Array(1024 * 1024 + 3).fill(5);
    const bytes = Buffer.concat([encodeFrame(text.encode('a')), encodeFrame(big), encodeFrame(text.encode('b'))]);
    for (const size of [1000, 65_536, 300_001]) {
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
      expect(decodeChunks(chunks, 2 * 1024 * 1024)).toEqual([text.encode('a'), big, text.encode('b')]);
    }
  });

  it("makes a large frame's buffer only if the budget has room for it, and joins the chunks at the end if not", () => {
    const size = 2 * 1024 * 1024;
    const bytes = encodeFrame(new Uint8Array(size).fill(3));
    const asked: number[] = [];
    const seen: Uint8Array[] = [];
    const decoder = new FrameDecoder((frame) => seen.push(frame), size, {
      fits(bytes) {
        asked.push(bytes);
        return false;
      },
    });
    const held: number[] = [];
    for (let at = 0; at < bytes.length; at += 64 * 1024) {
      decoder.push(bytes.subarray(at, at + 64 * 1024));
      held.push(decoder.bufferedBytes);
    }
    // Asked, at a quarter, for the whole frame beyond what it had held before that chunk.
    expect(asked[0]).toBe(4 + size - 8 * 64 * 1024);
    expect(held.slice(0, -1)).toEqual(held.slice(0, -1).map((_, i) => (i + 1) * 64 * 1024));
    expect(seen[0]?.length).toBe(size);
    expect(seen[0]?.every((byte) => byte === 3)).toBe(true);
  });
});
