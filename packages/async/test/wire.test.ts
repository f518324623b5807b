import { Caller } from '@rpc/async';
import type { Connection } from '@rpc/msg';
import { CALL, parseWire, RETURN } from '../src/wire.js';

describe('the RPC::Async wire messages', () => {
  it('reads calls and returns, and nothing else', () => {
    expect(parseWire([CALL, 1, 'add', [{ n1: 1 }]])).toEqual({ kind: CALL, id: 1, procedure: 'add', args: [{ n1: 1 }] });
    expect(parseWire([RETURN, 1, null, [3]])).toEqual({ kind: RETURN, id: 1, error: null, values: [3] });
    expect(parseWire([RETURN, 2, "no procedure named 'x'", null])).toEqual({ kind: RETURN, id: 2, error: "no procedure named 'x'", values: [] });
    for (const bad of [null, {}, [CALL, 1, 'add'], [CALL, '1', 'add', []], [CALL, 1, 7, []], [CALL, 1, 'add', {}], [RETURN, 1, 5, []], [9, 1, 'x', []], [CALL, 1.5, 'x', []]]) {
      expect(parseWire(bad)).toBeUndefined();
    }
  });
});

describe('Caller', () => {
  it('settles once', () => {
    const caller = new Caller({} as Connection, 7, 'add');
    expect(caller.returned).toBe(false);
    expect(caller.settle()).toBe(true);
    expect(caller.settle()).toBe(false);
    expect(caller.returned).toBe(true);
  });
});
