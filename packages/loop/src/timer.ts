import type { Timer } from './loop.js';

/**
 * Builds a Timer from a cancel function; `oneShot` timers turn inactive
 * when `fired()` is called. Adapters share this instead of each keeping state.
 */
export function makeTimer(cancel: () => void): Timer & {
  /** Tells a one-shot timer it has run: it turns inactive, without calling `cancel`. */
  fired(): void;
} {
  let active = true;
  const stop = (): void => {
    if (!active) return;
    active = false;
    cancel();
  };
  return {
    get active() {
      return active;
    },
    cancel: stop,
    [Symbol.dispose]: stop,
    fired() {
      active = false;
    },
  };
}
