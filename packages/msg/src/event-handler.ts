import type { Loop, Subscription, WatchSource } from '@rpc/loop';
import { defaultLoop } from './default-loop.js';
import { msgError } from './errors.js';
import { handlesOf, type LoopHandles } from './handles.js';

/**
 * Called with each chunk a watched handle delivers; once more with `chunk` undefined when it has ended (`error` says
 * why if it failed).
 */
export type ReadHandler = (chunk: Uint8Array | undefined, error?: Error) => void;

/** Called once per loop turn while the handle can take more; once with `error` if it failed. */
export type WriteHandler = (error?: Error) => void;

/** One callback of each kind; a kind left out is kept, a kind given as undefined is removed. */
export interface EventHandlers {
  /** Told each chunk the handle delivers, then its end. */
  readonly read?: ReadHandler | undefined;
  /** Told once per loop turn that the handle can take more. */
  readonly write?: WriteHandler | undefined;
}

/** Where {@link setEventHandler} registers the handle. */
export interface EventHandlerOptions {
  /** The loop to register with (default: the Node loop). */
  readonly loop?: Loop;
}

/** A handle given to setEventHandler on one loop: its callbacks and the loop watches behind them. */
class WatchedHandle {
  readonly #handle: WatchSource;
  readonly #loop: Loop;
  readonly #handles: LoopHandles;
  readonly #table: Map<WatchSource, WatchedHandle>;
  #read: ReadHandler | undefined;
  #write: WriteHandler | undefined;
  #reading: Subscription | undefined;
  #writing: Subscription | undefined;

  constructor(handle: WatchSource, loop: Loop, table: Map<WatchSource, WatchedHandle>) {
    this.#handle = handle;
    this.#loop = loop;
    this.#handles = handlesOf(loop);
    this.#table = table;
  }

  set(handlers: EventHandlers): void {
    try {
      // A callback replaced while its watch runs is swapped in place: no chunk is lost, none goes to the old one.
      if ('write' in handlers) {
        this.#write = handlers.write;
        if (this.#write === undefined) this.#writing = dispose(this.#writing);
        else
          this.#writing ??= this.#loop.watch(this.#handle, {
            write: () => this.#call(() => this.#write?.()),
            end: () => this.#writeEnded(undefined), // closed by its owner: nothing to tell
            error: (error) => this.#writeEnded(error),
          });
      }
      if ('read' in handlers) {
        this.#read = handlers.read;
        if (this.#read === undefined) this.#reading = dispose(this.#reading);
        else
          this.#reading ??= this.#loop.watch(this.#handle, {
            read: (chunk) => this.#call(() => this.#read?.(chunk)),
            end: () => this.#readEnded(undefined),
            error: (error) => this.#readEnded(error),
          });
      }
    } finally {
      this.#sync();
    }
  }

  #readEnded(error: Error | undefined): void {
    const read = this.#read;
    this.#read = this.#reading = undefined;
    if (read !== undefined) this.#call(() => read(undefined, error));
    this.#sync();
  }

  #writeEnded(error: Error | undefined): void {
    const write = this.#write;
    this.#write = this.#writing = undefined;
    if (write !== undefined && error !== undefined) this.#call(() => write(error));
    this.#sync();
  }

  /**
   * Calls one callback as one event. One that throws loses its handle and ends the waiting eventLoop calls, as a die
   * leaves event_loop.
   */
  #call(callback: () => void): void {
    this.#handles.dispatched(); // before the call, which may deregister the last handle
    try {
      callback();
    } catch (error) {
      const told = this.#handles.failed(
        msgError('MSG_HANDLER_FAILED', 'an event handler threw; its handle was deregistered', { cause: error }),
      );
      this.#read = this.#write = undefined;
      this.#reading = dispose(this.#reading);
      this.#writing = dispose(this.#writing);
      this.#sync();
      if (!told) throw error; // nobody waits: as from any listener
    }
  }

  /** Registered while either kind is watched. */
  #sync(): void {
    if (this.#reading !== undefined || this.#writing !== undefined) {
      this.#table.set(this.#handle, this);
      this.#handles.register(this.#handle);
    } else if (this.#table.get(this.#handle) === this) {
      this.#table.delete(this.#handle);
      this.#handles.deregister(this.#handle);
    }
  }
}

function dispose(subscription: Subscription | undefined): undefined {
  subscription?.dispose();
  return undefined;
}

const byLoop = new WeakMap<Loop, Map<WatchSource, WatchedHandle>>();

/**
 * The Msg toolkit's `set_event_handler($handle, read => ..., write => ...)`:
 * registers callbacks for another handle (stdin, a pipe, stdout, a socket)
 * with the loop, beside Msg's own connections. `read` gets each chunk, then
 * undefined at the end. `write` is called once per loop turn for as long as
 * it is registered and the handle can take more, paused while a `drain` is
 * awaited (level-triggered, as select reports a writable handle: register it
 * when there is something to write, remove it when done). One callback of
 * each kind per handle: a new one replaces the old, undefined removes it,
 * and with neither left the handle is deregistered, as it is once it ends.
 */
export function setEventHandler(handle: WatchSource, handlers: EventHandlers, options: EventHandlerOptions = {}): void {
  for (const kind of ['read', 'write'] as const) {
    const callback: unknown = handlers[kind];
    if (callback !== undefined && typeof callback !== 'function') {
      throw msgError('MSG_INVALID_OPTION', `the ${kind} handler must be a function or undefined`);
    }
  }
  const loop = options.loop ?? defaultLoop();
  let table = byLoop.get(loop);
  if (table === undefined) byLoop.set(loop, (table = new Map()));
  (table.get(handle) ?? new WatchedHandle(handle, loop, table)).set(handlers);
}
