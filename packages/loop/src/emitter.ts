/** A function that ends a subscription; also usable with `using`. */
export interface Subscription extends Disposable {
  /** Ends the subscription; later calls do nothing. */
  dispose(): void;
}

/** Any listener an {@link Emitter} holds: a function of its event's arguments. */
export type Listener = (...args: never[]) => void;

/** Told what a listener threw, for which event and with which arguments. */
export type ListenerErrorHook<Events> = (error: unknown, event: keyof Events, args: readonly unknown[]) => void;

/**
 * A small typed event emitter without Node's `events` module, so that code
 * above the loop also runs in browsers. `on` returns a Subscription.
 */
export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  // One listener as itself, more as an array replaced on change, rather than Sets: a server holds emitters for every
  // connection, and a Set costs hundreds of bytes. An emit calls the listeners there were when it began.
  readonly #listeners: { [K in keyof Events]?: Listener | readonly Listener[] } = {};
  readonly #onListenerError: ListenerErrorHook<Events> | undefined;

  /**
   * Without `onListenerError` a listener that throws stops the emit and the
   * error reaches the emitter's caller, as with Node's EventEmitter; with
   * it, each listener's error goes there and the other listeners still run
   * (a server whose own bookkeeping must not depend on its users' code).
   */
  constructor(options: { readonly onListenerError?: ListenerErrorHook<Events> } = {}) {
    this.#onListenerError = options.onListenerError;
  }

  /** Adds `listener` to `event`, after those already there; the subscription removes it. */
  on<K extends keyof Events>(event: K, listener: Events[K]): Subscription {
    const now = this.#listeners[event];
    // concat, not a spread: an array of exactly its length (a spread leaves spare room, on every connection).
    this.#listeners[event] = now === undefined ? listener : listed(now).concat(listener);
    return new Unsubscribe(this, event, listener);
  }

  /** Calls every listener of `event`; returns whether there was one. */
  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): boolean {
    const listeners = this.#listeners[event];
    if (listeners === undefined) return false;
    const onError = this.#onListenerError;
    if (typeof listeners === 'function' && onError === undefined) {
      (listeners as (...a: Parameters<Events[K]>) => void)(...args); // the usual case, without an array per emit
      return true;
    }
    for (const listener of listed(listeners)) {
      if (onError === undefined) (listener as (...a: Parameters<Events[K]>) => void)(...args);
      else {
        try {
          (listener as (...a: Parameters<Events[K]>) => void)(...args);
        } catch (error) {
          onError(error, event, args);
        }
      }
    }
    return true;
  }

  /** How many listeners `event` has. */
  listenerCount(event: keyof Events): number {
    const listeners = this.#listeners[event];
    return listeners === undefined ? 0 : listed(listeners).length;
  }

  /** Removes every listener of every event, as a channel does once it has emitted `close`. */
  removeAllListeners(): void {
    for (const event of Object.keys(this.#listeners)) delete this.#listeners[event as keyof Events];
  }

  /** Removes `listener` from `event` (what a subscription's dispose() does). */
  off<K extends keyof Events>(event: K, listener: Events[K]): void {
    const listeners = listed(this.#listeners[event]);
    const at = listeners.indexOf(listener);
    if (at < 0) return;
    const rest = listeners.filter((_, i) => i !== at);
    this.#listeners[event] = rest.length === 0 ? undefined : rest.length === 1 ? rest[0] : rest;
  }
}

function listed(listeners: Listener | readonly Listener[] | undefined): readonly Listener[] {
  return listeners === undefined ? [] : typeof listeners === 'function' ? [listeners] : listeners;
}

/** A subscription as one small object without a closure, since most callers never use it. */
class Unsubscribe<Events extends { [K in keyof Events]: Listener }, K extends keyof Events> implements Subscription {
  #emitter: Emitter<Events> | undefined;
  readonly #event: K;
  readonly #listener: Events[K];

  constructor(emitter: Emitter<Events>, event: K, listener: Events[K]) {
    this.#emitter = emitter;
    this.#event = event;
    this.#listener = listener;
  }

  dispose(): void {
    this.#emitter?.off(this.#event, this.#listener);
    this.#emitter = undefined;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
