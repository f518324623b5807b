import {
  acceptAfterListen,
  type Channel,
  type ConnectOptions,
  type Endpoint,
  hostTurn,
  type Listener,
  type Loop,
  loopError,
  LoopRun,
  makeTimer,
  type Subscription,
  type Timer,
  type WatchHandlers,
  watchSource,
  type WatchSource,
} from '@rpc/loop';
import { asapScheduler, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { ScheduledChannel } from './scheduled-channel.js';

/** Where the bytes go: any Loop's I/O (the Node loop, WebSocket, the in-memory transport). */
export type Transport = Pick<Loop, 'listen' | 'connect'>;

/** What an {@link RxLoop} runs on and talks through. */
export interface RxLoopOptions {
  /**
   * Runs timers, deferred tasks and I/O events (default asapScheduler). A
   * VirtualTimeScheduler makes whole conversations run in virtual time.
   */
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
  /** The scheduler every timer, deferred task and channel event runs on. */
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

  /** Channels accepted before listen() has resolved come a host turn later, as a scheduled action. */
  async listen(endpoint: Endpoint, onChannel: (channel: Channel) => void): Promise<Listener> {
    const transport = this.#need();
    const turn = (task: () => void): void => hostTurn(() => this.defer(task));
    return acceptAfterListen(
      (accept) => transport.listen(endpoint, (channel) => accept(new ScheduledChannel(channel, this.scheduler))),
      onChannel,
      turn,
    );
  }

  async connect(endpoint: Endpoint, options?: ConnectOptions): Promise<Channel> {
    return new ScheduledChannel(await this.#need().connect(endpoint, options), this.scheduler);
  }

  /**
   * Watches any stream; its callbacks run as scheduled actions. A write
   * handler's next turn is one host turn away, then scheduled: actions
   * scheduled from actions run in the same flush (microtasks on the asap
   * scheduler, the same instant in virtual time), so a chain of them would
   * starve I/O and the code awaiting it.
   */
  watch(source: WatchSource, handlers: WatchHandlers): Subscription {
    const dispatch = (task: () => void): void => this.defer(task);
    return watchSource(source, handlers, { turn: (task) => hostTurn(() => dispatch(task)), dispatch });
  }

  #need(): Transport {
    if (this.#transport === undefined) {
      const hint = 'give it one (the Node loop, WebSocket, or a MemoryTransport)';
      throw loopError('LOOP_UNSUPPORTED', `this RxLoop has no transport: ${hint}`);
    }
    return this.#transport;
  }
}
