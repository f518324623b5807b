import { hostTurn } from '@rpc/loop';
import type { VirtualTimeScheduler } from 'rxjs';

/** Host turns in a row with nothing scheduled before the work is declared stuck. */
const IDLE_TURNS = 3;

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
  // Some work reaches the scheduler a host turn late (channels accepted before listen() resolved, watches):
  // only several idle turns in a row mean that nothing will come.
  for (let idle = 0; ; ) {
    await turn();
    if (settled) return result;
    const next = scheduler.actions[0];
    if (next === undefined) {
      if (++idle < IDLE_TURNS) continue;
      throw new Error('stuck in virtual time: the work waits, and nothing is scheduled');
    }
    idle = 0;
    scheduler.maxFrames = next.delay;
    scheduler.flush();
  }
}
