import type { Subscription } from './emitter.js';
import { loopError } from './errors.js';
import type { ReadableSource, WatchHandlers, WatchSource, WritableSink } from './loop.js';

/** How an adapter runs what a watch does. */
export interface WatchScheduling {
  /** Runs `task` in the loop's next turn, after pending I/O: where a write handler is called again. */
  readonly turn: (task: () => void) => void;
  /** Runs a source's callback (default: at once); RxJS makes it a scheduled action. */
  readonly dispatch?: (task: () => void) => void;
}

const utf8 = new TextEncoder();
const atOnce = (task: () => void): void => task();

function isWritable(source: WatchSource): source is WritableSink {
  const sink = source as Partial<WritableSink>;
  return typeof sink.writable === 'boolean' && typeof sink.writableNeedDrain === 'boolean';
}

/**
 * Loop.watch, shared by every adapter. `read` gets each chunk of a readable
 * source; disposing pauses the source instead of destroying it, so stdin can
 * be watched again without losing input. `write` is level-triggered, as a
 * select loop reports a writable handle: called once per `turn` while the
 * watch lasts and the sink is not waiting for `drain`, then again after
 * drain. A turn at a time, not a loop of calls, so I/O runs in between.
 */
export function watchSource(source: WatchSource, handlers: WatchHandlers, scheduling: WatchScheduling): Subscription {
  const { read, write } = handlers;
  if (read === undefined && write === undefined)
    throw loopError('LOOP_INVALID_OPTION', 'watch needs a read or a write handler');
  if (write !== undefined && !isWritable(source)) {
    throw loopError(
      'LOOP_INVALID_OPTION',
      'a write handler needs a writable handle (writable, writableNeedDrain and drain events)',
    );
  }
  const { turn } = scheduling;
  const dispatch = scheduling.dispatch ?? atOnce;
  // Both views of one handle; only the events of the handlers given are listened to.
  const readable = source as ReadableSource;
  const sink = source as WritableSink;
  /** Listening to the handle: until it ends or fails, or the watch is disposed. */
  let active = true;
  /**
   * Disposed by its owner: callbacks already dispatched are dropped, while those of an ending source still come, in
   * order.
   */
  let disposed = false;
  let turnPending = false;

  const call = (callback: () => void): void =>
    dispatch(() => {
      if (!disposed) callback();
    });
  const onData = (chunk: Uint8Array | string): void => {
    const bytes = typeof chunk === 'string' ? utf8.encode(chunk) : chunk;
    call(() => read?.(bytes));
  };
  const onEnd = (): void => finish(() => handlers.end?.());
  const onError = (error: Error): void => finish(() => handlers.error?.(error));
  const onDrain = (): void => nextTurn();

  function nextTurn(): void {
    if (!active || turnPending) return;
    turnPending = true;
    turn(writeTurn);
  }
  function writeTurn(): void {
    turnPending = false;
    if (!active) return;
    if (!sink.writable) return onEnd();
    if (sink.writableNeedDrain) return; // onDrain brings the next turn
    write?.();
    nextTurn();
  }
  function finish(tell: () => void): void {
    if (!active) return;
    stop();
    call(tell);
  }
  function stop(): void {
    if (!active) return;
    active = false;
    readable.off('error', onError);
    readable.off('close', onEnd);
    if (read !== undefined) {
      readable.off('data', onData);
      readable.off('end', onEnd);
      readable.pause?.();
    }
    if (write !== undefined) sink.off('drain', onDrain);
  }

  readable.on('error', onError);
  readable.on('close', onEnd);
  if (read !== undefined) {
    readable.on('data', onData);
    readable.on('end', onEnd);
    readable.resume?.();
  }
  if (write !== undefined) {
    sink.on('drain', onDrain);
    nextTurn();
  }
  const dispose = (): void => {
    disposed = true;
    stop();
  };
  return { dispose, [Symbol.dispose]: dispose };
}
