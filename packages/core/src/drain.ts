import type { Loop } from '@rpc/loop';

/**
 * A closing server's wait for its calls in flight: resolves true once `busy()` is false, or false after `timeoutMs`
 * of the loop's clock. `check()` is called whenever a call ends. The timer is cancelled once drained, so that nothing
 * is left to keep the process alive.
 */
export class Drain {
  #wake: (() => void) | undefined;

  /** Waits until `busy()` is false (true) or `timeoutMs` ms pass on `loop`'s clock (false). */
  wait(loop: Loop, timeoutMs: number, busy: () => boolean): Promise<boolean> {
    if (!busy()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = loop.timer(timeoutMs, () => {
        this.#wake = undefined;
        resolve(false);
      });
      this.#wake = () => {
        if (busy()) return;
        this.#wake = undefined;
        timer.cancel();
        resolve(true);
      };
    });
  }

  /** A call ended: resolves the wait if nothing is busy any more. */
  check(): void {
    this.#wake?.();
  }
}
