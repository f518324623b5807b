import { activeCall, Call } from '../src/call.js';
import type { ServerConnection } from '../src/server-connection.js';

const connection = { cid: 1 } as ServerConnection;

describe('Call', () => {
  it('makes its signal only when asked, already aborted if the call was cancelled before', () => {
    const call = new Call(connection, 7);
    call.cancel(new Error('cancelled by the client'));
    expect(call.cancelled).toBe(true);
    expect(call.signal.aborted).toBe(true);
    expect((call.signal.reason as Error).message).toBe('cancelled by the client');
  });

  it('aborts a signal handed out earlier, once, and stops its deadline', () => {
    const call = new Call(connection, 8);
    let deadlineCancelled = false;
    call.deadline = { active: true, cancel: () => (deadlineCancelled = true), [Symbol.dispose]: () => undefined };
    const { signal } = call;
    const reasons: unknown[] = [];
    signal.addEventListener('abort', () => reasons.push(signal.reason));
    call.cancel(new Error('deadline exceeded'));
    call.cancel(new Error('the client disconnected'));
    expect(reasons).toEqual([new Error('deadline exceeded')]);
    expect(deadlineCancelled).toBe(true);
  });

  it('is the active call across awaits, each concurrent call seeing its own', async () => {
    const a = new Call(connection, 1);
    const b = new Call(connection, 2);
    const seen = await Promise.all([
      activeCall.run(a, async () => {
        await new Promise((r) => setTimeout(r, 5));
        return activeCall.getStore()?.id;
      }),
      activeCall.run(b, async () => {
        await new Promise((r) => setTimeout(r, 1));
        return activeCall.getStore()?.id;
      }),
    ]);
    expect(seen).toEqual([1, 2]);
    expect(activeCall.getStore()).toBeUndefined();
  });
});
