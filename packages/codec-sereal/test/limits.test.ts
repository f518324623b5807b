import { ProtocolError } from '@rpc/codec';
import { serealCodec } from '@rpc/codec-sereal';
import { doc, expectRefused, sereal, thrownBy } from './helpers.js';

// Every byte is hostile: nesting, declared lengths and shared references are bounded
// before memory or time is spent on them.
const HEADER = [0x3d, 0xf3, 0x72, 0x6c, 0x05, 0x00];

function varint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
  out.push(n);
  return out;
}

/** A document from body bytes. */
const bytes = (body: number[]): Uint8Array => new Uint8Array([...HEADER, ...body]);

/** Decodes, returning the error or undefined, and how long it took. */
function timed(input: Uint8Array, codec = sereal): { error: unknown; ms: number } {
  const started = process.hrtime.bigint();
  const error = thrownBy(() => codec.decode(input));
  return { error, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

describe('nesting', () => {
  // Each way of nesting one level: ARRAYREF_1, REFN ARRAY 1, HASHREF_1 {a: ...}, REFN REFN ..., blessed arrays.
  const ways: Array<[string, number[], number[]]> = [
    ['ARRAYREF_1', [0x41], [0x01]],
    ['REFN ARRAY 1', [0x28, 0x2b, 0x01], [0x01]],
    ['HASHREF_1', [0x51, 0x61, 0x61], [0x01]],
    ['REFN (references to references)', [0x28], [0x01]],
    ['OBJECT of an ARRAYREF_1', [0x2c, 0x61, 0x41, 0x41], [0x01]],
  ];

  it.each(ways)('%s: 512 levels are accepted, 513 refused with CODEC_TOO_DEEP', (_label, level, bottom) => {
    const nest = (n: number) => bytes([...Array.from({ length: n }, () => level).flat(), ...bottom]);
    expect(thrownBy(() => sereal.decode(nest(512)))).toBeUndefined();
    expectRefused(nest(513), 'CODEC_TOO_DEEP', /nesting deeper than 512/);
  });

  it.each(ways)('%s 100000 deep: CODEC_TOO_DEEP, not a stack overflow', (_label, level, bottom) => {
    const input = bytes([...Array.from({ length: 100_000 }, () => level).flat(), ...bottom]);
    expect(timed(input).error).toMatchObject({ code: 'CODEC_TOO_DEEP', data: { format: 'SERL' } });
  });

  it('takes a smaller maxDepth, and runs of PAD or WEAKEN markers are no nesting', () => {
    const shallow = serealCodec({ maxDepth: 2 });
    expect(shallow.decode(doc('414101'))).toEqual([[1]]);
    expectRefused(doc('41414101'), 'CODEC_TOO_DEEP', /nesting deeper than 2/, shallow);
    expect(sereal.decode(bytes([...new Array(100_000).fill(0x3f), 0x01]))).toBe(1);
    expect(sereal.decode(bytes([0x41, ...new Array(50_000).fill(0x30), 0x28, 0x01]))).toEqual([1]);
  });
});

describe('declared lengths', () => {
  it.each([
    ['ARRAY of 2^32 items', [0x28, 0x2b, ...varint(2 ** 32), 0x01]],
    ['HASH of 2^32-1 pairs', [0x28, 0x2a, ...varint(2 ** 32 - 1), 0x61, 0x61, 0x01]],
    ['ARRAY of 2^49 items', [0x2b, ...varint(2 ** 49), 0x01]],
    ['BINARY of 2^32 bytes', [0x26, ...varint(2 ** 32), 0x61]],
    ['STR_UTF8 of 2^40 bytes', [0x27, ...varint(2 ** 40), 0x61]],
    ['nested arrays of 2^32-1 items each', Array.from({ length: 1000 }, () => [0x2b, ...varint(2 ** 32 - 1)]).flat()],
    ['an ARRAY that claims one item more than there are bytes', [0x2b, 0x04, 0x01, 0x02, 0x03]],
    ['a varint that never ends', [0x20, ...new Array(1000).fill(0xff)]],
    ['a length varint beyond 2^49', [0x26, ...new Array(9).fill(0xff), 0x01]],
  ])('%s: CODEC_MALFORMED at once', (_label, body) => {
    const { error, ms } = timed(bytes(body));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: 'CODEC_MALFORMED', data: { format: 'SERL' } });
    expect(ms).toBeLessThan(1000);
  });
});

/** k tracked arrays, each holding two REFPs to the one before: 2^k arrays once expanded, in about 5k bytes. */
function refpDag(k: number): Uint8Array {
  const body = [0x28, 0x2b, ...varint(k + 1)];
  let previous = 0;
  for (let i = 0; i <= k; i++) {
    body.push(0x28);
    const offset = body.length + 1;
    body.push(0xab);
    if (i === 0) body.push(0);
    else body.push(2, 0x29, ...varint(previous), 0x29, ...varint(previous));
    previous = offset;
  }
  return bytes(body);
}

/** The same with ALIAS to tracked REFNs. */
function aliasDag(k: number): Uint8Array {
  const body = [0x28, 0x2b, ...varint(k + 1)];
  let previous = 0;
  for (let i = 0; i <= k; i++) {
    const offset = body.length + 1;
    body.push(0xa8, 0x2b);
    if (i === 0) body.push(0);
    else body.push(2, 0x2e, ...varint(previous), 0x2e, ...varint(previous));
    previous = offset;
  }
  return bytes(body);
}

/** An array of `size` integers, then `copies` COPYs of it. */
function copies(size: number, copies: number): Uint8Array {
  const body = [0x28, 0x2b, ...varint(copies + 1)];
  const inner = body.length + 1;
  body.push(0x28, 0x2b, ...varint(size), ...new Array(size).fill(0x01));
  for (let i = 0; i < copies; i++) body.push(0x2f, ...varint(inner));
  return bytes(body);
}

describe('shared references cannot amplify a message', () => {
  it.each([
    ['REFP', refpDag(40)],
    ['ALIAS', aliasDag(40)],
  ])('%s to tracked items: 2^40 nodes from a few hundred bytes are refused at once', (_label, input) => {
    const { error, ms } = timed(input);
    expect(error).toMatchObject({
      code: 'CODEC_MALFORMED',
      message: expect.stringMatching(/expands to more values than it has bytes/),
    });
    expect(ms).toBeLessThan(1000);
  });

  it('still reads a few shared references that stay within the input size', () => {
    const value = sereal.decode(refpDag(2)) as unknown[][];
    expect(value).toHaveLength(3);
    expect(value[2]?.[0]).toBe(value[1]);
    expect(value[2]?.[1]).toBe(value[1]);
  });

  // Perl writes COPY only for hash keys and class names (and strings with dedupe_strings), never for containers.
  it('refuses COPYs of a container that add up to more values than bytes', () => {
    const { error, ms } = timed(copies(1000, 10_000));
    expect(error).toMatchObject({
      code: 'CODEC_MALFORMED',
      message: expect.stringMatching(/expands to more values than it has bytes/),
    });
    expect(ms).toBeLessThan(1000);
  });

  it('reads COPYs of one long string as that same string, costing no memory per copy', () => {
    const text = 'z'.repeat(100_000);
    const count = 30_000;
    const body = [0x28, 0x2b, ...varint(count + 1)];
    const target = body.length + 1;
    body.push(0x26, ...varint(text.length), ...Buffer.from(text));
    for (let i = 0; i < count; i++) body.push(0x2f, ...varint(target));
    const started = process.hrtime.bigint();
    const value = sereal.decode(bytes(body)) as string[];
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
    expect(value).toHaveLength(count + 1);
    expect(value[count]).toBe(text);
  });
});

describe('heap', () => {
  // What an ARRAY, HASH, string or COPY will take is counted before it is built, once a message is large enough to
  // reach maxHeapBytes at all (168 heap bytes per input byte at worst).
  it('refuses an ARRAY whose slots alone pass maxHeapBytes before allocating it', () => {
    const count = 2 ** 20;
    const input = bytes([0x28, 0x2b, ...varint(count), ...new Array(count).fill(0x25)]);
    const { error, ms } = timed(input, serealCodec({ maxHeapBytes: 4 * 2 ** 20 }));
    expect(error).toMatchObject({
      name: 'ProtocolError',
      code: 'CODEC_TOO_LARGE',
      data: { format: 'SERL', offset: 7, maxHeapBytes: 4 * 2 ** 20, heapBytes: 48 + 8 * count },
    });
    expect(ms).toBeLessThan(1000);
  });

  it('counts containers read again through COPY, which the value budget lets through', () => {
    // [[1 x 1000], 'x' x 20000, COPY of the first x 10]: 11,000 values from 21,000 bytes, 108 kB of heap.
    const body = [0x28, 0x2b, 12];
    const inner = body.length + 1;
    body.push(0x28, 0x2b, ...varint(1000), ...new Array(1000).fill(0x01));
    body.push(0x26, ...varint(20_000), ...new Array(20_000).fill(0x78));
    for (let i = 0; i < 10; i++) body.push(0x2f, ...varint(inner));
    expect(sereal.decode(bytes(body))).toHaveLength(12);
    expectRefused(
      bytes(body),
      'CODEC_TOO_LARGE',
      /more than maxHeapBytes \(64000 bytes\)/,
      serealCodec({ maxHeapBytes: 64_000 }),
    );
  });

  it('counts each value just before building it: 16 MiB of empty hashes is refused after a few', () => {
    const count = 16 * 2 ** 20;
    const input = new Uint8Array(6 + 5 + count).fill(0x50); // HASHREF_0 each
    input.set([...HEADER, 0x2b, ...varint(count)]);
    const { error, ms } = timed(input);
    expect(error).toMatchObject({ code: 'CODEC_TOO_LARGE', data: { format: 'SERL', offset: 6 } });
    expect(ms).toBeLessThan(1000);
  });
});
