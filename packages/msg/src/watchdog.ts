import type { Loop, Timer } from '@rpc/loop';

/**
 * A deadline that activity pushes back, without a timer per activity:
 * touch() only notes the time, and the timer, when it fires early, sleeps
 * again for what is left. Used for the idle, send and message timeouts.
 */
export class Watchdog {
  readonly #loop: Loop;
  readonly #ms: number;
  readonly #expire: () => void;
  #timer: Timer | undefined;
  #last = 0;

  constructor(loop: Loop, ms: number, expire: () => void) {
    this.#loop = loop;
    this.#ms = ms;
    this.#expire = expire;
  }

  /** Starts counting from now; while already running it changes nothing (a trickle does not extend a deadline). */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#last = this.#loop.now();
    this.#timer = this.#arm(this.#ms);
  }

  /** Counts from now again. */
  touch(): void {
    this.#last = this.#loop.now();
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #arm(ms: number): Timer {
    return this.#loop.timer(ms, () => {
      const left = this.#last + this.#ms - this.#loop.now();
      this.#timer = left > 0 ? this.#arm(left) : undefined;
      if (left <= 0) this.#expire();
    });
  }
}
