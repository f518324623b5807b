import { Emitter, type Subscription } from '@rpc/loop';

type Listener = (...args: never[]) => void;

/**
 * An Emitter whose listeners cannot throw into the emitter's caller: our events are emitted from socket callbacks and
 * from the middle of the server's own bookkeeping, where a throw would end the process or leave the books half done.
 * What a listener throws goes to `failed` instead, and the other listeners still run.
 */
export class GuardedEmitter<Events extends { [K in keyof Events]: Listener }> {
  readonly #emitter = new Emitter<Events>();
  readonly #failed: (thrown: unknown, event: keyof Events, args: readonly unknown[]) => void;

  constructor(failed: (thrown: unknown, event: keyof Events, args: readonly unknown[]) => void) {
    this.#failed = failed;
  }

  on<K extends keyof Events>(event: K, listener: Events[K]): Subscription {
    const call = listener as unknown as (...args: unknown[]) => void;
    const guarded = (...args: unknown[]): void => {
      try {
        call(...args);
      } catch (thrown) {
        this.#failed(thrown, event, args);
      }
    };
    return this.#emitter.on(event, guarded as unknown as Events[K]);
  }

  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): boolean {
    return this.#emitter.emit(event, ...args);
  }
}
