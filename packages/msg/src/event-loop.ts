import type { Loop } from '@rpc/loop';
import { defaultLoop } from './default-loop.js';
import { msgError } from './errors.js';
import { handlesOf } from './handles.js';

/** When {@link eventLoop} returns, and which loop's handles it waits on. */
export interface EventLoopOptions {
  /** Return once this many events were dispatched (default: only when no handle is left). */
  readonly count?: number;
  /** Stop waiting: the promise rejects with MSG_ABORTED. */
  readonly signal?: AbortSignal;
  /** The loop whose handles to wait on (default: the Node loop, as connections and servers use). */
  readonly loop?: Loop;
}

/**
 * The Msg toolkit's `event_loop([count])`: resolves once `count` events
 * were dispatched, or once no handle is registered with the loop (at once
 * if none is), with the number of events dispatched meanwhile.
 *
 * Handles are connections with a receive handler, listening servers and
 * handles given to setEventHandler; closing one deregisters it. An event is
 * one call of a registered callback: a message or a close given to a
 * connection's handler, a new connection given to login, a read or write
 * callback of a watched handle.
 *
 * JavaScript dispatches events whether or not anyone waits here: eventLoop
 * counts them, it does not hold them back. A watched handle's callback that
 * throws makes it reject with MSG_HANDLER_FAILED, as a die leaves event_loop.
 */
export async function eventLoop(options: EventLoopOptions = {}): Promise<number> {
  const { count, signal } = options;
  if (count !== undefined && !(Number.isInteger(count) && count > 0)) {
    throw msgError('MSG_INVALID_OPTION', `count must be a positive integer, got ${count}`);
  }
  return handlesOf(options.loop ?? defaultLoop()).wait(count ?? Infinity, signal);
}
