import { CheckSlots } from '../src/check-slots.js';

describe('CheckSlots', () => {
  it('gives out `size` slots, queues `queue` in turn, refuses the rest, and tells of a refusal burst in two lines', async () => {
    const notes: string[] = [];
    const slots = new CheckSlots(2, 2, (message) => notes.push(message));
    const order: string[] = [];
    const take = (name: string) => {
      const slot = slots.acquire();
      if (slot === undefined) {
        order.push(`${name} refused`);
        return undefined;
      }
      return slot.then((release) => {
        order.push(`${name} runs`);
        return release;
      });
    };
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(take);
    expect([take('e'), take('f')]).toEqual([undefined, undefined]);
    expect([slots.running, slots.waiting]).toEqual([2, 2]);
    const releaseA = await a;
    await b;
    releaseA?.();
    releaseA?.(); // a second release gives nothing back
    const releaseC = await c;
    expect([slots.running, slots.waiting]).toEqual([2, 1]);
    expect(take('g')).toBeDefined();
    releaseC?.();
    await d;
    expect(order).toEqual(['e refused', 'f refused', 'a runs', 'b runs', 'c runs', 'd runs']);
    expect(notes).toEqual([
      'Login checks busy (2 running, 2 waiting): refusing logins',
      'Login checks no longer busy: 2 login(s) refused meanwhile',
    ]);
  });
});
