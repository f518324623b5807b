import type { Loop, Timer } from '@rpc/loop';
import { rpcError } from './errors.js';

/** How long a call may wait, and what stops it. */
export interface CallLimits {
  /** Aborting it gives the call up with RPC_CANCELLED, the signal's reason as the cause. */
  readonly signal?: AbortSignal;
  /** Milliseconds until the call gives up with RPC_DEADLINE (none when undefined). */
  readonly deadlineMs?: number;
}

/** What a {@link PendingCalls} table runs on, and how many calls it lets wait. */
export interface PendingCallsOptions {
  /** Runs the deadlines. */
  readonly loop: Loop;
  /** Calls waiting for answers at once; more are refused with RPC_TOO_MANY_CALLS (default: no limit). */
  readonly maxCalls?: number;
}

/** A call waiting for its answer; `map` shapes the answer into what the caller gets. */
class Pending<R> {
  resolve: (value: unknown) => void = settleLater;
  reject: (error: Error) => void = settleLater;
  timer: Timer | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  readonly signal: AbortSignal | undefined;
  readonly map: ((value: R) => unknown) | undefined;

  constructor(signal: AbortSignal | undefined, map: ((value: R) => unknown) | undefined) {
    this.signal = signal;
    this.map = map;
  }
}

function settleLater(): void {}

/** The call whose promise is being made: its executor runs at once, so one shared function can fill it in. */
let filling: Pending<unknown> | undefined;
function fill(resolve: (value: unknown) => void, reject: (error: Error) => void): void {
  (filling as Pending<unknown>).resolve = resolve;
  (filling as Pending<unknown>).reject = reject;
}

/** For calls with neither a deadline nor a signal. */
export const NO_LIMITS: CallLimits = Object.freeze({});

/** `limits` with the deadline taken from `deadlineMs` when it sets none; allocates only then. */
export function withDeadline(limits: CallLimits, deadlineMs: number | undefined): CallLimits {
  if (deadlineMs === undefined || limits.deadlineMs !== undefined) return limits;
  return limits.signal === undefined ? { deadlineMs } : { signal: limits.signal, deadlineMs };
}

/** Ids are 32-bit, as MessagePack-RPC's msgid, and skip those still waiting. */
const ID_SPACE = 0x1_0000_0000;

/**
 * The calls one connection is waiting on, by id: the same table for
 * Event::RPC, MessagePack-RPC and RPC::Async. A call gets an id, is sent,
 * and settles exactly once: with its answer, with RPC_CANCELLED when its
 * signal aborts, RPC_DEADLINE when its deadline passes (both on the Loop's
 * clock), or the connection's failure. A call that cannot be sent rejects
 * alone and leaves nothing behind.
 */
export class PendingCalls<R> {
  readonly #loop: Loop;
  readonly #maxCalls: number;
  readonly #calls = new Map<number, Pending<R>>();
  #nextId = 1;

  constructor(options: PendingCallsOptions) {
    this.#loop = options.loop;
    this.#maxCalls = options.maxCalls ?? Infinity;
  }

  /** Calls waiting for their answers. */
  get size(): number {
    return this.#calls.size;
  }

  /** Whether call `id` is still waiting for its answer. */
  has(id: number): boolean {
    return this.#calls.has(id);
  }

  /**
   * Starts a call: `send(id)` writes the request (a throw rejects this call
   * only). `stopped(id)` is told when the call gives up before its answer
   * (cancelled, deadline), so that the peer can be told where the protocol
   * can say it. `map` turns the answer into the call's result (a throw
   * rejects the call), which saves callers a promise of their own.
   */
  call<T = R>(
    send: (id: number) => void,
    limits: CallLimits = NO_LIMITS,
    stopped?: (id: number) => void,
    map?: (value: R) => T,
  ): Promise<T> {
    const { signal, deadlineMs } = limits;
    if (signal?.aborted) return Promise.reject(rpcError('RPC_CANCELLED', 'call cancelled', { cause: signal.reason }));
    if (this.#calls.size >= this.#maxCalls) {
      return Promise.reject(
        rpcError(
          'RPC_TOO_MANY_CALLS',
          `${this.#calls.size} calls are waiting for answers; the limit is ${this.#maxCalls}`,
        ),
      );
    }
    const id = this.#newId();
    try {
      send(id);
    } catch (error) {
      return Promise.reject(error);
    }
    const pending = new Pending<R>(signal, map);
    filling = pending as Pending<unknown>;
    const promise = new Promise<T>(fill as (resolve: (value: T) => void, reject: (error: Error) => void) => void);
    filling = undefined;
    if (deadlineMs !== undefined || signal !== undefined) this.#watch(id, pending, limits, stopped);
    this.#calls.set(id, pending);
    return promise;
  }

  /** Gives the call up when its deadline passes or its signal aborts. */
  #watch(id: number, pending: Pending<R>, { signal, deadlineMs }: CallLimits, stopped?: (id: number) => void): void {
    const giveUp = (error: Error): void => {
      if (this.reject(id, error)) stopped?.(id);
    };
    if (deadlineMs !== undefined)
      pending.timer = this.#loop.timer(deadlineMs, () =>
        giveUp(rpcError('RPC_DEADLINE', `no answer within ${deadlineMs} ms`)),
      );
    if (signal !== undefined) {
      pending.onAbort = () => giveUp(rpcError('RPC_CANCELLED', 'call cancelled', { cause: signal.reason }));
      signal.addEventListener('abort', pending.onAbort, { once: true });
    }
  }

  /** Settles call `id` with its answer; false if nobody waits for it (any more). */
  resolve(id: number, value: R): boolean {
    const pending = this.#take(id);
    if (pending === undefined) return false;
    if (pending.map === undefined) pending.resolve(value);
    else {
      try {
        pending.resolve(pending.map(value));
      } catch (error) {
        pending.reject(error as Error);
      }
    }
    return true;
  }

  /** Settles call `id` with `error`; false if nobody waits for it (any more). */
  reject(id: number, error: Error): boolean {
    const pending = this.#take(id);
    pending?.reject(error);
    return pending !== undefined;
  }

  /** Every waiting call fails with `error` (the connection is gone). */
  rejectAll(error: Error): void {
    for (const id of [...this.#calls.keys()]) this.reject(id, error);
  }

  #take(id: number): Pending<R> | undefined {
    const pending = this.#calls.get(id);
    if (pending === undefined) return undefined;
    this.#calls.delete(id);
    pending.timer?.cancel();
    if (pending.onAbort !== undefined) pending.signal?.removeEventListener('abort', pending.onAbort);
    return pending;
  }

  #newId(): number {
    let id = this.#nextId;
    while (this.#calls.has(id)) id = (id + 1) % ID_SPACE;
    this.#nextId = (id + 1) % ID_SPACE;
    return id;
  }
}
