import {
  LoopRun,
  makeTimer,
  UsageError,
  type Channel,
  type ConnectOptions,
  type Endpoint,
  type Listener,
  type Loop,
  type ReadableSource,
  type Subscription,
  type Timer,
  type WatchHandlers,
} from '@rpc/loop';
import { asapScheduler, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { ScheduledChannel } from './scheduled-channel.js';

/** Where the bytes go: any Loop's I/O (the Node loop, WebSocket, the in-memory transport). */
export type Transport = Pick<Loop, 'listen' | 'connect'> & Partial<Pick<Loop, 'watch'>>;

export interface RxLoopOptions {
  /** Runs timers, deferred tasks and I/O events (default asapScheduler). A VirtualTimeScheduler makes whole conversations run in virtual time. */
  readonly scheduler?: SchedulerLike;
  /** Carries the bytes; without one, listen and connect are refused. */
  readonly transport?: Transport;
}

/**
 * The Loop on an RxJS scheduler: timers, deferred tasks and every event of
 * the transport's channels run as scheduled actions, so the scheduler
 * decides when work happens (and a test scheduler makes it happen in
 * virtual time). What goes over the wire is the transport's business.
 */
export class RxLoop implements Loop {
  readonly scheduler: SchedulerLike;
  readonly #transport: Transport | undefined;
  readonly #run = new LoopRun();

  constructor(options: RxLoopOptions = {}) {
    this.scheduler = options.scheduler ?? asapScheduler;
    this.#transport = options.transport;
  }

  now(): number {
    return this.scheduler.now();
  }

  timer(delayMs: number, task: () => void): Timer {
    const timer = makeTimer(() => action.unsubscribe());
    const action = this.scheduler.schedule(() => {
      timer.fired();
      task();
    }, delayMs);
    return timer;
  }

  repeat(intervalMs: number, task: () => void): Timer {
    const action = this.scheduler.schedule(function (this: SchedulerAction<undefined>) {
      task();
      this.schedule(undefined, intervalMs);
    }, intervalMs);
    return makeTimer(() => action.unsubscribe());
  }

  defer(task: () => void): void {
    this.scheduler.schedule(task);
  }

  enter(): Promise<void> {
    return this.#run.enter();
  }

  leave(): void {
    this.#run.leave();
  }

  async listen(endpoint: Endpoint, onChannel: (channel: Channel) => void): Promise<Listener> {
    return this.#need().listen(endpoint, (channel) => onChannel(new ScheduledChannel(channel, this.scheduler)));
  }

  async connect(endpoint: Endpoint, options?: ConnectOptions): Promise<Channel> {
    return new ScheduledChannel(await this.#need().connect(endpoint, options), this.scheduler);
  }

  watch(source: ReadableSource, handlers: WatchHandlers): Subscription {
    const watch = this.#need().watch;
    if (watch === undefined) throw new UsageError('LOOP_UNSUPPORTED', 'the transport cannot watch sources');
    const run = (task: () => void): void => void this.scheduler.schedule(task);
    return watch.call(this.#transport, source, {
      read: (chunk) => run(() => handlers.read(chunk)),
      end: () => run(() => handlers.end?.()),
      error: (error) => run(() => handlers.error?.(error)),
    });
  }

  #need(): Transport {
    if (this.#transport === undefined) throw new UsageError('LOOP_UNSUPPORTED', 'this RxLoop has no transport: give it one (the Node loop, WebSocket, or a MemoryTransport)');
    return this.#transport;
  }
}
