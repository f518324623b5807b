import type { Codec } from '@rpc/codec';
import {
  NO_LIMITS,
  PendingCalls,
  answerError,
  rpcError,
  type Answer,
  type CallLimits,
  type Request,
  type RequestEnvelope,
} from '@rpc/core';
import type { Loop } from '@rpc/loop';
import { msgError, type Connection } from '@rpc/msg';

function isOk(answer: Answer): boolean {
  return answer.ok === 1 || (answer.ok as unknown) === '1';
}

/**
 * The requests of one connection and their answers. Between `@rpc` peers
 * (`pipelined`) every request carries an id, many are in flight and answered
 * in any order, and a call that gives up tells the server with `cancel`.
 * With a Perl server they go one at a time: a request waits until the one
 * before it is answered, and an answer belongs to the oldest request sent.
 * Either way a request is encoded when it is made, so one that cannot leave
 * (unencodable, too large, already cancelled) fails alone.
 */
export class Requests {
  readonly #conn: Connection;
  readonly #codec: Codec;
  readonly #calls: PendingCalls<Answer>;
  /** The id mode, agreed in the version exchange; until then, in order. */
  pipelined = false;
  /** Told of a request that was encoded but could not leave (too large, a full queue). */
  unsent: ((request: Request & RequestEnvelope) => void) | undefined;
  /** In order: ids of the requests sent and not yet answered, oldest first. */
  readonly #sent: number[] = [];
  /** In order: requests waiting for the one before them to be answered. */
  readonly #waiting = new Map<number, Uint8Array>();

  constructor(conn: Connection, codec: Codec, loop: Loop) {
    this.#conn = conn;
    this.#codec = codec;
    this.#calls = new PendingCalls({ loop });
  }

  /** Requests sent or waiting, not yet answered. */
  get pending(): number {
    return this.#calls.size;
  }

  /**
   * Sends `request` (its id and deadline are written into it) and resolves with its answer as `shape` makes it; a
   * refusal (`ok: 0`) rejects with RPC_REMOTE.
   */
  send<R = Answer>(
    request: Request & RequestEnvelope,
    limits: CallLimits = NO_LIMITS,
    shape?: (answer: Answer) => R,
  ): Promise<R> {
    if (this.#conn.closed) return Promise.reject(rpcError('RPC_NOT_CONNECTED', 'not connected'));
    if (!this.pipelined)
      return this.#calls.call((id) => this.#inOrder(id, this.#encode(request)), limits, this.#unqueue, shape);
    const send = (id: number): void => {
      request.id = id;
      if (limits.deadlineMs !== undefined) request.deadlineMs = limits.deadlineMs;
      try {
        this.#conn.sendLater(this.#encode(request));
      } catch (error) {
        this.unsent?.(request);
        throw error;
      }
    };
    return this.#calls.call(send, limits, this.#cancel, shape);
  }

  /** Sends a message that is never answered (the capability protocol's); throws when it cannot leave. */
  notify(message: Request & RequestEnvelope): void {
    this.#conn.sendLater(this.#encode(message));
  }

  /** A call given up before it was sent (in order) is not sent. */
  readonly #unqueue = (id: number): void => void this.#waiting.delete(id);

  /** The caller was answered at once; the server is told, so that it can stop and drop the answer. */
  readonly #cancel = (id: number): void => {
    if (!this.#conn.closed) this.#conn.sendLater(this.#encode({ cmd: 'cancel', target: id }));
  };

  /** Settles the request an answer belongs to; false when nobody waits for it any more (it is dropped). */
  receive(answer: Answer): boolean {
    const id = typeof answer.id === 'number' ? answer.id : this.#sent.shift();
    if (typeof answer.id !== 'number') this.#sendNext();
    if (id === undefined) return false;
    if (isOk(answer)) return this.#calls.resolve(id, answer);
    return this.#calls.reject(id, answerError(answer, 'the server refused the call'));
  }

  /** Every request still waiting fails with `error` (the connection is gone). */
  failAll(error: Error): void {
    this.#waiting.clear();
    this.#sent.length = 0;
    this.#calls.rejectAll(error);
  }

  /** A request's bytes, refused here if the server would refuse them for their size. */
  #encode(request: Request & RequestEnvelope): Uint8Array {
    const bytes = this.#codec.encode(request);
    const limit = this.#conn.maxPacketSize;
    if (bytes.length > limit)
      throw msgError('MSG_MESSAGE_TOO_LARGE', `message of ${bytes.length} bytes exceeds maxPacketSize ${limit}`);
    return bytes;
  }

  #inOrder(id: number, bytes: Uint8Array): void {
    if (this.#sent.length > 0) {
      this.#waiting.set(id, bytes);
      return;
    }
    this.#conn.sendLater(bytes);
    this.#sent.push(id);
  }

  /** Sends the oldest waiting request; runs inside the answer handler, so it never throws. */
  #sendNext(): void {
    for (const [id, bytes] of this.#waiting) {
      this.#waiting.delete(id);
      try {
        this.#conn.sendLater(bytes);
      } catch (error) {
        this.#calls.reject(id, error as Error); // a full send queue: this call fails, the next one may go
        continue;
      }
      this.#sent.push(id);
      return;
    }
  }
}

/** Every value an `exec` answer returned (Perl's list context). */
export function resultsOf(answer: Answer): unknown[] {
  return Array.isArray(answer.rc) ? answer.rc : [];
}

/** None gives undefined, one gives itself, several an array. */
export function oneOrMany(values: unknown[]): unknown {
  return values.length > 1 ? values : values[0];
}

/** What an `exec` answer gives a caller by default (oneOrMany of its values). */
export function resultOf(answer: Answer): unknown {
  return oneOrMany(resultsOf(answer));
}
