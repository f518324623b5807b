import { LARGE_MESSAGE, sizeBound } from '@rpc/codec';

describe('sizeBound', () => {
  it('prices strings at three bytes per character, byte arrays at their length, every header at 9 bytes', () => {
    expect(sizeBound('abc')).toBe(9 + 9);
    expect(sizeBound(new Uint8Array(100))).toBe(9 + 100);
    expect(sizeBound([1, null, true])).toBe(9 + 3 * 9);
    expect(sizeBound({ ab: 'x' })).toBe(9 + 9 + 6 + 9 + 3);
    expect(sizeBound({ data: [new Uint8Array(LARGE_MESSAGE)] })).toBeGreaterThan(LARGE_MESSAGE);
  });

  it('gives up (-1) past 64 values and on objects of other classes, unless told their size', () => {
    expect(sizeBound(Array.from({ length: 62 }, () => 1))).toBeGreaterThan(0);
    expect(sizeBound(Array.from({ length: 64 }, () => 1))).toBe(-1);
    expect(sizeBound({ at: new Date() })).toBe(-1);
    expect(sizeBound([new Map()])).toBe(-1);
    class Ext {}
    expect(sizeBound([new Ext()], (value) => (value instanceof Ext ? 42 : undefined))).toBe(9 + 42);
    expect(sizeBound(Object.assign(Object.create(null), { a: 1 }))).toBe(9 + 9 + 3 + 9);
  });
});
