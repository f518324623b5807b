import {
  checkHeap,
  decodeSafely,
  DEFAULT_MAX_HEAP_BYTES,
  HEAP_COST,
  HeapMeter,
  mapCost,
  maxHeapBytesOf,
  ProtocolError,
  sanitize,
  SeenKeys,
  tooLarge,
} from '@rpc/codec';

describe('checkHeap', () => {
  it('does not scan a message whose worst case fits the limit, and scans any larger one', () => {
    const scan = jest.fn(() => 0);
    checkHeap('X', new Uint8Array(100), 1000, 10, scan);
    expect(scan).not.toHaveBeenCalled();
    checkHeap('X', new Uint8Array(101), 1000, 10, scan);
    expect(scan).toHaveBeenCalledWith(expect.any(Uint8Array), 1000);
  });

  it('refuses an estimate over the limit with CODEC_TOO_LARGE, naming the estimate and the limit', () => {
    expect(() => checkHeap('MSGP', new Uint8Array(4096), 2 * 2 ** 20, 1000, () => 3_000_000)).toThrow(
      expect.objectContaining({
        name: 'ProtocolError',
        code: 'CODEC_TOO_LARGE',
        message: 'MSGP: the decoded message would take more than maxHeapBytes (2.0 MiB): at least 3000000 bytes',
        data: { format: 'MSGP', offset: undefined, heapBytes: 3_000_000, maxHeapBytes: 2 * 2 ** 20 },
      }),
    );
    expect(checkHeap('MSGP', new Uint8Array(4096), 1000, 1, () => 1000)).toBeUndefined();
  });

  it('tooLarge can name another limit and the byte', () => {
    expect(tooLarge('JSON', 700, 512, { limit: 'the longest string', offset: 3 }).message).toBe(
      'JSON: the decoded message would take more than the longest string (512 bytes): at least 700 bytes (at byte 3)',
    );
  });
});

describe('HeapMeter', () => {
  it('counts what is built and refuses past the limit, at the byte given', () => {
    const meter = new HeapMeter('SERL', 100);
    meter.charge(60, 1);
    meter.charge(40, 2);
    expect(() => meter.charge(1, 9)).toThrow(
      expect.objectContaining({
        code: 'CODEC_TOO_LARGE',
        data: expect.objectContaining({ heapBytes: 101, offset: 9 }),
      }),
    );
  });
});

describe('maxHeapBytesOf', () => {
  it('defaults to 64 MiB and takes any positive number, Infinity too', () => {
    expect(DEFAULT_MAX_HEAP_BYTES).toBe(64 * 2 ** 20);
    expect(maxHeapBytesOf({}, 'X')).toBe(DEFAULT_MAX_HEAP_BYTES);
    expect(maxHeapBytesOf({ maxHeapBytes: Number.POSITIVE_INFINITY }, 'X')).toBe(Number.POSITIVE_INFINITY);
    expect(() => maxHeapBytesOf({ maxHeapBytes: -5 }, 'X')).toThrow(
      expect.objectContaining({ name: 'UsageError', code: 'CODEC_INVALID_OPTION' }),
    );
  });
});

describe('SeenKeys', () => {
  it('tells a key met before in the message from a new one, by its bytes', () => {
    const keys = new SeenKeys();
    const bytes = Buffer.from('name|id|name|nam|id');
    keys.reset(bytes);
    expect([keys.seen(0, 4), keys.seen(5, 7), keys.seen(8, 12), keys.seen(13, 16), keys.seen(17, 19)]).toEqual([
      false,
      false,
      true,
      false,
      true,
    ]);
    keys.reset(bytes);
    expect(keys.seen(8, 12)).toBe(false); // forgotten with the message
  });
});

describe('the cost table', () => {
  it("prices Maps as V8's ordered hash tables grow (measured: 184 bytes empty, 296 with 5 entries, 520 with 9)", () => {
    expect([mapCost(0), mapCost(4), mapCost(5), mapCost(8), mapCost(9)]).toEqual([184, 184, 296, 296, 520]);
    expect(HEAP_COST.object).toBeGreaterThanOrEqual(56);
  });
});

describe('the walk after a library', () => {
  it('counts the copies it makes: a byte string shared a thousand times is refused, not made a thousand times', () => {
    const shared = new Uint8Array(100_000).fill(0x61);
    const tree = Array.from({ length: 1000 }, () => shared);
    const rules = { format: 'CBOR', maxDepth: 512, bytes: 'latin1' as const, maxHeapBytes: 2 ** 20 };
    expect(() => sanitize(tree, rules, 2_000_000)).toThrow(
      expect.objectContaining({ code: 'CODEC_TOO_LARGE', data: expect.objectContaining({ maxHeapBytes: 2 ** 20 }) }),
    );
    expect((sanitize(tree.slice(0, 5), rules, 2_000_000) as string[])[4]).toHaveLength(100_000);
  });
});

describe('decodeSafely', () => {
  it('turns what V8 or Node cannot make into CODEC_TOO_LARGE, and other library errors into CODEC_MALFORMED', () => {
    const failing = (error: Error) => () =>
      decodeSafely('JSON', 512, () => {
        throw error;
      });
    expect(failing(new RangeError('Invalid string length'))).toThrow(
      expect.objectContaining({
        code: 'CODEC_TOO_LARGE',
        message: expect.stringMatching(/^JSON: more than JavaScript/),
      }),
    );
    expect(failing(new Error('Cannot create a string longer than 0x1fffffe8 characters'))).toThrow(ProtocolError);
    expect(failing(new Error('Cannot create a string longer than 0x1fffffe8 characters'))).toThrow(
      expect.objectContaining({ code: 'CODEC_TOO_LARGE' }),
    );
    expect(failing(new Error('bignum longer than 64 bytes'))).toThrow(
      expect.objectContaining({ code: 'CODEC_MALFORMED' }),
    );
  });
});
