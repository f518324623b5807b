import type { Subscription } from './emitter.js';
import type { Endpoint } from './endpoint.js';
import type { Channel } from './channel.js';
import type { ConnectOptions, Listener, Loop, Timer, WatchHandlers, WatchSource } from './loop.js';

/**
 * A Loop whose channels travel over a transport of its own (WebSocket, NATS) while its clock, timers, deferred tasks
 * and watches are another loop's (`base`, the Node loop by default in the adapters): subclasses give listen and
 * connect only.
 */
export abstract class TransportLoop implements Loop {
  /** The loop that runs timers, deferred tasks, enter/leave and watches. */
  protected readonly base: Loop;

  constructor(base: Loop) {
    this.base = base;
  }

  now(): number {
    return this.base.now();
  }

  timer(delayMs: number, task: () => void): Timer {
    return this.base.timer(delayMs, task);
  }

  repeat(intervalMs: number, task: () => void): Timer {
    return this.base.repeat(intervalMs, task);
  }

  defer(task: () => void): void {
    this.base.defer(task);
  }

  enter(): Promise<void> {
    return this.base.enter();
  }

  leave(): void {
    this.base.leave();
  }

  watch(source: WatchSource, handlers: WatchHandlers): Subscription {
    return this.base.watch(source, handlers);
  }

  abstract listen(endpoint: Endpoint, onChannel: (channel: Channel) => void): Promise<Listener>;
  abstract connect(endpoint: Endpoint, options?: ConnectOptions): Promise<Channel>;
}
