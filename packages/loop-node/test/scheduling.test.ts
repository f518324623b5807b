import { NodeLoop } from '@rpc/loop-node';
import { waitFor } from '@rpc/testkit';

const loop = new NodeLoop();

describe('NodeLoop scheduling', () => {
  it('runs a one-shot timer once, then reports it inactive', async () => {
    let runs = 0;
    using timer = loop.timer(5, () => runs++);
    expect(timer.active).toBe(true);
    await waitFor(() => runs > 0, 'the timer');
    expect(timer.active).toBe(false);
    await new Promise((r) => setTimeout(r, 30)); // time to run again, were it to repeat
    expect(runs).toBe(1);
  });

  it('repeats until cancelled', async () => {
    let runs = 0;
    using timer = loop.repeat(2, () => {
      if (++runs === 3) timer.cancel();
    });
    await waitFor(() => runs >= 3, 'three runs');
    expect(timer.active).toBe(false);
    await new Promise((r) => setTimeout(r, 30)); // time for more runs, were it not cancelled
    expect(runs).toBe(3);
  });

  it('never runs a cancelled timer, also when disposed with `using`', async () => {
    let runs = 0;
    loop.timer(5, () => runs++).cancel();
    {
      using _timer = loop.timer(5, () => runs++);
    }
    await new Promise((r) => setTimeout(r, 30));
    expect(runs).toBe(0);
  });

  it('defers a task until the current turn has finished', async () => {
    const order: string[] = [];
    loop.defer(() => order.push('deferred'));
    await Promise.resolve();
    order.push('microtask');
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['microtask', 'deferred']);
  });

  it('enter() resolves when leave() is called, and can be entered again', async () => {
    let left = false;
    const entered = loop.enter().then(() => (left = true));
    expect(loop.enter()).toBe(loop.enter()); // one run at a time
    await new Promise((r) => setTimeout(r, 10));
    expect(left).toBe(false);
    loop.timer(1, () => loop.leave());
    await entered;
    expect(left).toBe(true);
    const again = loop.enter();
    loop.leave();
    await again;
  });

  it('measures time in milliseconds', async () => {
    const start = loop.now();
    await new Promise((r) => setTimeout(r, 20));
    expect(loop.now() - start).toBeGreaterThanOrEqual(15);
  });
});
