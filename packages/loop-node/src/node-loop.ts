import { makeTimer, type Channel, type ConnectOptions, type Endpoint, type Listener, type Loop, type ReadableSource, type Subscription, type Timer, type WatchHandlers } from '@rpc/loop';
import { connect } from './connect.js';
import { listen } from './listen.js';
import { watch } from './watch.js';

/** The Loop over Node's own event loop: node:net, node:tls, timers and setImmediate. */
export class NodeLoop implements Loop {
  #keepAlive: NodeJS.Timeout | undefined;
  #entered: Promise<void> | undefined;
  #leave: (() => void) | undefined;

  now(): number {
    return performance.now();
  }

  timer(delayMs: number, task: () => void): Timer {
    const timer = makeTimer(() => clearTimeout(handle));
    const handle = setTimeout(() => {
      timer.fired();
      task();
    }, delayMs);
    return timer;
  }

  repeat(intervalMs: number, task: () => void): Timer {
    const handle = setInterval(task, intervalMs);
    return makeTimer(() => clearInterval(handle));
  }

  defer(task: () => void): void {
    setImmediate(task);
  }

  enter(): Promise<void> {
    if (this.#entered === undefined) {
      // A pending promise does not keep Node running; a referenced interval does.
      this.#keepAlive = setInterval(() => undefined, 0x7fffffff);
      this.#entered = new Promise((resolve) => (this.#leave = resolve));
    }
    return this.#entered;
  }

  leave(): void {
    clearInterval(this.#keepAlive);
    this.#leave?.();
    this.#entered = this.#leave = this.#keepAlive = undefined;
  }

  listen(endpoint: Endpoint, onChannel: (channel: Channel) => void): Promise<Listener> {
    return listen(endpoint, onChannel);
  }

  connect(endpoint: Endpoint, options?: ConnectOptions): Promise<Channel> {
    return connect(endpoint, options);
  }

  watch(source: ReadableSource, handlers: WatchHandlers): Subscription {
    return watch(source, handlers);
  }
}

/** The shared Node loop, used wherever no `loop` option is given. */
export const nodeLoop: Loop = new NodeLoop();
