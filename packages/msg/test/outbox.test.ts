import { FrameDecoder } from '@rpc/msg';
import { ByteBudget } from '../src/byte-budget.js';
import { Outbox } from '../src/outbox.js';

function decode(chunks: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  const decoder = new FrameDecoder((p) => out.push(p.slice()));
  for (const chunk of chunks) decoder.push(chunk);
  return out;
}

describe('Outbox', () => {
  it('coalesces small frames into one chunk', () => {
    const outbox = new Outbox();
    const payloads = Array.from({ length: 100 }, (_, i) => new Uint8Array([i, i, i]));
    for (const p of payloads) outbox.push(p);
    expect(outbox.bytes).toBe(100 * 7);
    const chunks = outbox.take(Infinity);
    expect(chunks).toHaveLength(1);
    expect(decode(chunks)).toEqual(payloads);
    expect(outbox.length).toBe(0);
    expect(outbox.bytes).toBe(0);
  });

  it('passes large payloads by reference between copied headers', () => {
    const outbox = new Outbox();
    const big = new Uint8Array(100_000).fill(9);
    const payloads = [new Uint8Array([1]), big, new Uint8Array([2]), new Uint8Array([3])];
    for (const p of payloads) outbox.push(p);
    const chunks = outbox.take(Infinity);
    expect(chunks).toHaveLength(3);
    expect(chunks[1]).toBe(big);
    expect(decode(chunks)).toEqual(payloads);
  });

  it('takes at most a budget of bytes per batch, but always one frame', () => {
    const outbox = new Outbox();
    for (let i = 0; i < 10; i++) outbox.push(new Uint8Array(96));
    expect(decode(outbox.take(250))).toHaveLength(2);
    expect(outbox.length).toBe(8);
    expect(decode(outbox.take(1))).toHaveLength(1);
    expect(decode(outbox.take(Infinity))).toHaveLength(7);
  });

  it('keeps order across many partial takes of a long queue', () => {
    const outbox = new Outbox();
    const sent: number[] = [];
    const got: number[] = [];
    for (let i = 0; i < 5000; i++) {
      outbox.push(new Uint8Array(new Uint32Array([i]).buffer));
      sent.push(i);
      if (i % 7 === 0) for (const p of decode(outbox.take(64))) got.push(new Uint32Array(p.buffer)[0] as number);
    }
    for (const p of decode(outbox.take(Infinity))) got.push(new Uint32Array(p.buffer)[0] as number);
    expect(got).toEqual(sent);
  });

  describe('while the peer is not reading (holding)', () => {
    // Views of 20 KiB travel by reference in take(), so what the outbox kept can be seen.
    const shared = new Uint8Array(1024 * 1024);
    const view = (at: number): Uint8Array => shared.subarray(at, at + 20_000);
    const buffersTaken = (outbox: Outbox): ArrayBufferLike[] =>
      outbox
        .take(Infinity)
        .map((chunk) => chunk.buffer)
        .filter((buffer) => buffer.byteLength === shared.byteLength);

    it('hands the channel no small view of a large buffer, which it might hold a while', () => {
      const outbox = new Outbox();
      outbox.push(view(0));
      expect(outbox.take(Infinity).some((chunk) => chunk.buffer === shared.buffer)).toBe(false);
    });

    it('copies small views out of a large shared buffer, those already waiting too', () => {
      const outbox = new Outbox();
      outbox.push(view(0));
      outbox.holding = true;
      outbox.push(view(20_000));
      expect(outbox.bytes).toBe(2 * 20_004);
      expect(buffersTaken(outbox)).toEqual([]);
    });

    it("passes on a large payload at the start of a larger buffer: a codec's, grown for it", () => {
      // msgpackr reserves three bytes per character of a string: a 1 MiB one written in a buffer of 3 MiB and more.
      const grown = new Uint8Array(3 * 1024 * 1024);
      const payload = grown.subarray(0, 1024 * 1024);
      const outbox = new Outbox();
      outbox.holding = true;
      outbox.push(payload);
      expect(outbox.take(Infinity)).toContain(payload);
    });

    it('copies a large view from inside a larger buffer', () => {
      const grown = new Uint8Array(3 * 1024 * 1024);
      const outbox = new Outbox();
      outbox.push(grown.subarray(16, 16 + 1024 * 1024));
      expect(outbox.take(Infinity).some((chunk) => chunk.buffer === grown.buffer)).toBe(false);
    });

    it('keeps a view that is most of its buffer', () => {
      const outbox = new Outbox();
      outbox.holding = true;
      outbox.push(shared.subarray(0, 600_000));
      expect(buffersTaken(outbox)).toEqual([shared.buffer]);
    });
  });

  it('charges a shared budget with what it holds, and gives it back when taken or cleared', () => {
    const budget = new ByteBudget(1000);
    const a = new Outbox(undefined, budget);
    const b = new Outbox(undefined, budget);
    a.push(new Uint8Array(100));
    b.push(new Uint8Array(200));
    expect(budget.used).toBe(308);
    expect(budget.fits(692)).toBe(true);
    expect(budget.fits(693)).toBe(false);
    a.take(Infinity);
    expect(budget.used).toBe(204);
    b.clear();
    expect(budget.used).toBe(0);
  });
});
