import { hostTurn } from '@rpc/loop';
import type { VirtualTimeScheduler } from 'rxjs';

/** One turn of the host's event loop, so that promise continuations run between scheduled actions. */
const turn = (): Promise<void> => new Promise((resolve) => hostTurn(resolve));

/**
 * Runs `work` on a virtual-time scheduler: repeatedly lets promise
 * continuations run, then executes the actions due at the next virtual
 * instant, until `work` settles. A 30-second deadline takes no real time,
 * and every run happens in the same order. Rejects if `work` waits for
 * something nothing will ever schedule.
 */
export async function runInVirtualTime<T>(scheduler: VirtualTimeScheduler, work: () => Promise<T>): Promise<T> {
  let settled = false;
  const result = work().finally(() => (settled = true));
  result.catch(() => undefined); // observed below
  for (;;) {
    await turn();
    if (settled) return result;
    const next = scheduler.actions[0];
    if (next === undefined) throw new Error('stuck in virtual time: the work waits, and nothing is scheduled');
    scheduler.maxFrames = next.delay;
    scheduler.flush();
  }
}
