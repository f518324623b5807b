import {
  NOTIFICATION,
  notificationArray,
  parseCallMessage,
  REQUEST,
  requestArray,
  RESPONSE,
  responseArray,
} from '@rpc/core';

// The message shapes @rpc/mprpc and @rpc/async share, defined once in @rpc/core.
describe('call messages', () => {
  it('reads requests, responses and notifications', () => {
    expect(parseCallMessage(requestArray(1, 'add', [{ n1: 1 }]))).toEqual({
      type: REQUEST,
      id: 1,
      method: 'add',
      params: [{ n1: 1 }],
    });
    expect(parseCallMessage(responseArray(0xffff_ffff, null, 3))).toEqual({
      type: RESPONSE,
      id: 0xffff_ffff,
      error: null,
      result: 3,
    });
    expect(parseCallMessage(responseArray(2, "no procedure named 'x'", undefined))).toEqual({
      type: RESPONSE,
      id: 2,
      error: "no procedure named 'x'",
      result: null,
    });
    expect(parseCallMessage(notificationArray('note', ['x']))).toEqual({
      type: NOTIFICATION,
      method: 'note',
      params: ['x'],
    });
  });

  it('refuses anything else', () => {
    const bad: unknown[] = [
      null,
      {},
      'x',
      [REQUEST, 1, 'add'],
      [REQUEST, '1', 'add', []],
      [REQUEST, -1, 'add', []],
      [REQUEST, 1.5, 'add', []],
      [REQUEST, 2 ** 32, 'add', []],
      [REQUEST, 1, 7, []],
      [REQUEST, 1, 'add', {}],
      [RESPONSE, 1, null],
      [RESPONSE, null, null, 1],
      [NOTIFICATION, 'note'],
      [NOTIFICATION, 'note', 'x'],
      [NOTIFICATION, 1, 'note', []],
      [9, 1, 'x', []],
    ];
    for (const value of bad) expect(parseCallMessage(value)).toBeUndefined();
  });
});
