import type { Loop } from '@rpc/loop';
import { msgError } from './errors.js';

interface Wait {
  /** Settle after this many events (Infinity: only when no handle is left). */
  readonly count: number;
  events: number;
  settle(error?: Error): void;
}

/**
 * What is registered with one loop's event loop, as the Msg toolkit's
 * IO::Select sets: connections with a receive handler, listening servers
 * and handles given to setEventHandler. Registered objects report each
 * event they dispatch; eventLoop() waits here, counting.
 */
export class LoopHandles {
  readonly #handles = new Set<object>();
  readonly #waits = new Set<Wait>();

  register(handle: object): void {
    this.#handles.add(handle);
  }

  /** Removes `handle`; when it was the last one, every wait is over. */
  deregister(handle: object): void {
    if (!this.#handles.delete(handle) || this.#handles.size > 0) return;
    for (const wait of this.#waits) wait.settle();
  }

  /** One callback was called: counts for every wait. */
  dispatched(): void {
    if (this.#waits.size === 0) return; // the common case, on every message
    for (const wait of this.#waits) if (++wait.events === wait.count) wait.settle();
  }

  /** A watched handle's callback threw: the waits end with `error`. False when nobody waits, so the caller rethrows. */
  failed(error: Error): boolean {
    if (this.#waits.size === 0) return false;
    for (const wait of this.#waits) wait.settle(error);
    return true;
  }

  /** Resolves with the number of events once `count` were dispatched or no handle is left. */
  wait(count: number, signal: AbortSignal | undefined): Promise<number> {
    if (signal?.aborted) return Promise.reject(aborted(signal));
    if (this.#handles.size === 0) return Promise.resolve(0);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => wait.settle(aborted(signal as AbortSignal));
      const wait: Wait = {
        count,
        events: 0,
        settle: (error) => {
          this.#waits.delete(wait);
          signal?.removeEventListener('abort', onAbort);
          if (error === undefined) resolve(wait.events);
          else reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waits.add(wait);
    });
  }
}

function aborted(signal: AbortSignal): Error {
  return msgError('MSG_ABORTED', 'eventLoop was aborted', { cause: signal.reason });
}

const byLoop = new WeakMap<Loop, LoopHandles>();

/** The handles registered with `loop` (one set per Loop, shared by all its connections and servers). */
export function handlesOf(loop: Loop): LoopHandles {
  let handles = byLoop.get(loop);
  if (handles === undefined) byLoop.set(loop, (handles = new LoopHandles()));
  return handles;
}
