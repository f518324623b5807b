import type { FlushCallback } from '@rpc/loop';

/** A data message: where it starts in the stream, and its bytes. */
export interface SentMessage {
  /** The stream offset of its first byte. */
  readonly offset: number;
  /** Its bytes: a view of what was written, or several small writes merged. */
  readonly payload: Uint8Array;
}

/** A message taken from a {@link SendWindow}, and whose writes it ends. */
export interface Outgoing extends SentMessage {
  /** The flush callbacks of the writes whose last byte is in this message. */
  readonly flushed: readonly FlushCallback[];
}

interface Queued {
  bytes: Uint8Array;
  readonly onFlushed: FlushCallback | undefined;
}

/**
 * The sending half of a session's flow control, with no NATS in it: writes
 * queue here; a message may go while the peer's credit lasts (what it has
 * acknowledged plus its window), at most `maxMessage` bytes (NATS's
 * max_payload), small writes merged into one message, large ones split.
 * Messages sent are kept until acknowledged, so that what a NATS reconnect
 * lost can be sent again; so at most one window is kept, and the queue
 * grows only as far as the writer ignores write()'s false.
 */
export class SendWindow {
  /** Offset of the next byte to send. */
  sent = 0;
  /** Offset the peer has delivered: everything before it is forgotten. */
  acked = 0;
  /** Bytes written and not yet sent. */
  queued = 0;
  readonly #window: number;
  readonly #maxMessage: number;
  readonly #queue: Queued[] = [];
  readonly #kept: SentMessage[] = [];

  constructor(window: number, maxMessage: number) {
    this.#window = window;
    this.#maxMessage = maxMessage;
  }

  /** Bytes the peer lets us send now. */
  get credit(): number {
    return this.acked + this.#window - this.sent;
  }

  /** Queues a write; `onFlushed` is handed back with the message that carries its last byte. */
  push(chunks: readonly Uint8Array[], onFlushed: FlushCallback | undefined): void {
    const last = chunks.length - 1;
    for (const [i, bytes] of chunks.entries()) {
      if (bytes.length === 0 && (i < last || onFlushed === undefined)) continue;
      this.#queue.push({ bytes, onFlushed: i === last ? onFlushed : undefined });
      this.queued += bytes.length;
    }
  }

  /** The next message the credit allows, or undefined. */
  next(): Outgoing | undefined {
    const size = Math.min(this.credit, this.#maxMessage, this.queued);
    if (this.#queue.length === 0 || (size <= 0 && this.queued > 0)) return undefined;
    const pieces: Uint8Array[] = [];
    const flushed: FlushCallback[] = [];
    let taken = 0;
    while (this.#queue.length > 0 && taken < size) {
      const head = this.#queue[0] as Queued;
      const room = size - taken;
      if (head.bytes.length > room) {
        pieces.push(head.bytes.subarray(0, room));
        head.bytes = head.bytes.subarray(room);
        taken += room;
        break;
      }
      this.#queue.shift();
      pieces.push(head.bytes);
      taken += head.bytes.length;
      if (head.onFlushed) flushed.push(head.onFlushed);
    }
    // Empty writes with a callback at the head go with this message.
    while (this.#queue[0]?.bytes.length === 0) flushed.push(this.#queue.shift()?.onFlushed as FlushCallback);
    const offset = this.sent;
    const payload = pieces.length === 1 ? (pieces[0] as Uint8Array) : concat(pieces, taken);
    this.sent += taken;
    this.queued -= taken;
    if (taken > 0) this.#kept.push({ offset, payload });
    return { offset, payload, flushed };
  }

  /** The peer has delivered up to `offset`: true when that gave more credit. */
  ack(offset: number): boolean {
    if (offset <= this.acked || offset > this.sent) return false;
    this.acked = offset;
    while (this.#kept.length > 0) {
      const first = this.#kept[0] as SentMessage;
      if (first.offset + first.payload.length > offset) break;
      this.#kept.shift();
    }
    return true;
  }

  /** The messages kept that hold bytes from `offset` on, to send again. */
  keptFrom(offset: number): readonly SentMessage[] {
    return this.#kept.filter((message) => message.offset + message.payload.length > offset);
  }

  /** Empties the queue, handing back the flush callbacks nobody will call otherwise. */
  clear(): FlushCallback[] {
    const callbacks = this.#queue.flatMap((queued) => (queued.onFlushed ? [queued.onFlushed] : []));
    this.#queue.length = 0;
    this.#kept.length = 0;
    this.queued = 0;
    return callbacks;
  }
}

function concat(pieces: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}
