/** A function that ends a subscription; also usable with `using`. */
export interface Subscription extends Disposable {
  dispose(): void;
}

type Listener = (...args: never[]) => void;

/**
 * A small typed event emitter without Node's `events` module, so that code
 * above the loop also runs in browsers. `on` returns a Subscription.
 */
export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  readonly #listeners = new Map<keyof Events, Set<Listener>>();
  readonly #onListenerError: ((error: unknown, event: keyof Events) => void) | undefined;

  /**
   * Without `onListenerError` a listener that throws stops the emit and the
   * error reaches the emitter's caller, as with Node's EventEmitter; with
   * it, each listener's error goes there and the other listeners still run
   * (a server whose own bookkeeping must not depend on its users' code).
   */
  constructor(options: { readonly onListenerError?: (error: unknown, event: keyof Events) => void } = {}) {
    this.#onListenerError = options.onListenerError;
  }

  on<K extends keyof Events>(event: K, listener: Events[K]): Subscription {
    let set = this.#listeners.get(event);
    if (set === undefined) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    const dispose = (): void => {
      set.delete(listener);
    };
    return { dispose, [Symbol.dispose]: dispose };
  }

  /** Calls every listener of `event`; returns whether there was one. */
  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): boolean {
    const set = this.#listeners.get(event);
    if (set === undefined || set.size === 0) return false;
    const onError = this.#onListenerError;
    for (const listener of set) {
      if (onError === undefined) (listener as (...a: Parameters<Events[K]>) => void)(...args);
      else {
        try {
          (listener as (...a: Parameters<Events[K]>) => void)(...args);
        } catch (error) {
          onError(error, event);
        }
      }
    }
    return true;
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  removeAllListeners(): void {
    this.#listeners.clear();
  }
}
