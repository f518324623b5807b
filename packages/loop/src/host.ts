import type { Timer } from './loop.js';
import { makeTimer } from './timer.js';

/**
 * setTimeout and setInterval, which every JavaScript host has (Node, browsers, workers), typed without a platform's
 * types.
 */
const host = globalThis as unknown as {
  performance: { now(): number };
  setImmediate?(task: () => void): unknown;
  setTimeout(task: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(task: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
};

/**
 * Runs `task` in the host's next turn, after pending I/O and promise
 * continuations: setImmediate where there is one (Node), else a zero timeout.
 */
export function hostTurn(task: () => void): void {
  if (host.setImmediate) host.setImmediate(task);
  else host.setTimeout(task, 0);
}

/** A one-shot Timer on the host's setTimeout. */
export function hostTimer(delayMs: number, task: () => void): Timer {
  const timer = makeTimer(() => host.clearTimeout(handle));
  const handle = host.setTimeout(() => {
    timer.fired();
    task();
  }, delayMs);
  return timer;
}

/** A repeating Timer on the host's setInterval. */
export function hostRepeat(intervalMs: number, task: () => void): Timer {
  const handle = host.setInterval(task, intervalMs);
  return makeTimer(() => host.clearInterval(handle));
}

/**
 * A Loop's enter() and leave(): one run at a time, ended by leave(). `hold`
 * keeps the host alive while entered (a pending promise alone does not keep
 * Node running) and returns how to let go.
 */
export class LoopRun {
  readonly #hold: (() => () => void) | undefined;
  #entered: Promise<void> | undefined;
  #leave: (() => void) | undefined;
  #release: (() => void) | undefined;

  constructor(hold?: () => () => void) {
    this.#hold = hold;
  }

  /** Starts a run, holding the host, or joins the current one; resolves when leave() ends it. */
  enter(): Promise<void> {
    if (this.#entered === undefined) {
      this.#release = this.#hold?.();
      this.#entered = new Promise((resolve) => (this.#leave = resolve));
    }
    return this.#entered;
  }

  /** Ends the current run: its enter() resolves and the host is let go. Without a run, does nothing. */
  leave(): void {
    this.#release?.();
    this.#leave?.();
    this.#entered = this.#leave = this.#release = undefined;
  }
}

/**
 * What a Loop gets the same way on every JavaScript host: its clock
 * (performance.now), timers (setTimeout, setInterval) and enter/leave.
 * Adapters add deferral and I/O.
 */
export abstract class HostLoop {
  readonly #run: LoopRun;

  protected constructor(hold?: () => () => void) {
    this.#run = new LoopRun(hold);
  }

  /** Milliseconds since the host started (performance.now), with sub-millisecond precision where the host has it. */
  now(): number {
    return host.performance.now();
  }

  /** Runs `task` once after `delayMs` (setTimeout). */
  timer(delayMs: number, task: () => void): Timer {
    return hostTimer(delayMs, task);
  }

  /** Runs `task` every `intervalMs` until cancelled (setInterval). */
  repeat(intervalMs: number, task: () => void): Timer {
    return hostRepeat(intervalMs, task);
  }

  /** Resolves when leave() is called; keeps the host alive until then. */
  enter(): Promise<void> {
    return this.#run.enter();
  }

  /** Ends the current enter(). */
  leave(): void {
    this.#run.leave();
  }
}
