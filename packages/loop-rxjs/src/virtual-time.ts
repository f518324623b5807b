import { hostTurn } from '@rpc/loop';
import type { VirtualTimeScheduler } from 'rxjs';

/** Host turns in a row with nothing scheduled before the work is declared stuck. */
const IDLE_TURNS = 3;

/** One turn of the host's event loop, so that promise continuations run between scheduled actions. */
const turn = (): Promise<void> => new Promise((resolve) => hostTurn(resolve));

/** A real millisecond, for work that waits on something outside the scheduler. */
const realMoment = (): Promise<void> =>
  new Promise((resolve) =>
    (globalThis as unknown as { setTimeout(f: () => void, ms: number): void }).setTimeout(resolve, 1),
  );

/** How patient {@link runInVirtualTime} is with work that waits on things outside the scheduler. */
export interface VirtualTimeOptions {
  /**
   * Real milliseconds the work may wait, with nothing scheduled, on things
   * outside the scheduler (crypto, the file system) before it is declared
   * stuck (default: none; only a few host turns).
   */
  readonly realWaitMs?: number;
  /** While this answers true the clock stands still: only actions due now run (work waiting on real things). */
  readonly hold?: () => boolean;
}

/**
 * Runs `work` on a virtual-time scheduler: repeatedly lets promise
 * continuations run, then executes the next action, one per turn as a real
 * event loop runs one task at a time (so continuations run between two
 * actions of the same instant), jumping the clock to it, until `work`
 * settles. A 30-second deadline takes no real time, and every run happens
 * in the same order. Rejects if `work` waits for something nothing will
 * ever schedule.
 */
export async function runInVirtualTime<T>(
  scheduler: VirtualTimeScheduler,
  work: () => Promise<T>,
  options: VirtualTimeOptions = {},
): Promise<T> {
  const realWaitMs = options.realWaitMs ?? 0;
  let settled = false;
  const result = work().finally(() => (settled = true));
  result.catch(() => undefined); // observed below
  // Some work reaches the scheduler a host turn late (channels accepted before listen() resolved, watches):
  // only several idle turns in a row mean that nothing will come.
  for (let idle = 0, idleSince = 0; ; ) {
    await (idle < IDLE_TURNS ? turn() : realMoment());
    if (settled) return result;
    const next = scheduler.actions[0];
    if (next === undefined || (next.delay > scheduler.frame && options.hold?.() === true)) {
      if (idle++ === 0) idleSince = Date.now();
      if (idle < IDLE_TURNS || Date.now() - idleSince < realWaitMs) continue;
      throw new Error('stuck in virtual time: the work waits, and nothing is scheduled');
    }
    idle = 0;
    runOne(scheduler, next);
  }
}

/** What VirtualTimeScheduler.flush() does for each action, for one action only. */
function runOne(scheduler: VirtualTimeScheduler, action: VirtualTimeScheduler['actions'][number]): void {
  scheduler.actions.shift();
  scheduler.frame = action.delay;
  const error: unknown = action.execute(action.state, action.delay);
  if (error) {
    for (const rest of scheduler.actions.splice(0)) rest.unsubscribe();
    throw error;
  }
}
