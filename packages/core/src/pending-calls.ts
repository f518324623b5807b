import type { Loop, Timer } from '@rpc/loop';
import { rpcError } from './errors.js';

/** How long a call may wait, and what stops it. */
export interface CallLimits {
  readonly signal?: AbortSignal;
  /** Milliseconds until the call gives up with RPC_DEADLINE (none when undefined). */
  readonly deadlineMs?: number;
}

export interface PendingCallsOptions {
  /** Runs the deadlines. */
  readonly loop: Loop;
  /** Calls waiting for answers at once; more are refused with RPC_TOO_MANY_CALLS (default: no limit). */
  readonly maxCalls?: number;
}

interface Pending<R> {
  resolve(value: R): void;
  reject(error: Error): void;
  timer: Timer | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
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

  has(id: number): boolean {
    return this.#calls.has(id);
  }

  /**
   * Starts a call: `send(id)` writes the request (a throw rejects this call
   * only). `stopped(id)` is told when the call gives up before its answer
   * (cancelled, deadline), so that the peer can be told where the protocol
   * can say it.
   */
  call(send: (id: number) => void, limits: CallLimits = {}, stopped?: (id: number) => void): Promise<R> {
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
    return new Promise<R>((resolve, reject) => {
      send(id);
      const pending: Pending<R> = { resolve, reject, timer: undefined, signal, onAbort: undefined };
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
      this.#calls.set(id, pending);
    });
  }

  /** Settles call `id` with its answer; false if nobody waits for it (any more). */
  resolve(id: number, value: R): boolean {
    const pending = this.#take(id);
    pending?.resolve(value);
    return pending !== undefined;
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
