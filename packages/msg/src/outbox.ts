import type { ByteBudget } from './byte-budget.js';
import { lengthPrefixed, type Framing } from './framing.js';

/** Payloads at least this long are written from their own buffer instead of being copied into the batch. */
const COPY_LIMIT = 16 * 1024;

/** Payloads at least this long that start their buffer are taken to have had it made for them (see wasteful). */
const LARGE_PAYLOAD = 1024 * 1024;

/**
 * Whether keeping `payload` keeps much more alive than itself: a small
 * view into a codec's shared write buffer (msgpackr and cbor-x answer with
 * views of a buffer that may have grown to the largest message encoded).
 * Not a large payload at the start of its buffer: a codec grew that buffer
 * for it, reserving room it never wrote (msgpackr six times a string's
 * length), which costs no memory; a copy would double what it holds.
 */
function wasteful(payload: Uint8Array): boolean {
  if (payload.buffer.byteLength <= 2 * payload.byteLength + 4096) return false;
  return payload.byteOffset !== 0 || payload.byteLength < LARGE_PAYLOAD;
}

/**
 * Messages waiting to be written. take() turns a run of them into as few
 * chunks as possible: small frames are copied into one buffer, large
 * payloads are passed by reference, so one writev() carries a whole batch.
 * What it holds is charged to `budget` (the server's), if given.
 */
export class Outbox {
  readonly #framing: Framing;
  readonly #budget: ByteBudget | undefined;
  #queue: Uint8Array[] = [];
  #head = 0;
  #bytes = 0;
  /** Payloads that will wait (the peer is not reading) are copied out of shared buffers, so bytes are what is held. */
  #holding = false;

  constructor(framing: Framing = lengthPrefixed, budget?: ByteBudget) {
    this.#framing = framing;
    this.#budget = budget;
  }

  /** Bytes waiting, headers included. */
  get bytes(): number {
    return this.#bytes;
  }

  get length(): number {
    return this.#queue.length - this.#head;
  }

  push(payload: Uint8Array): void {
    this.#queue.push(this.#holding && wasteful(payload) ? payload.slice() : payload);
    this.#charge(this.#framing.headerSize + payload.length);
  }

  /**
   * Set while messages wait for the peer to read: from then on every payload
   * that would keep a larger shared buffer alive is copied, those waiting too.
   */
  set holding(holding: boolean) {
    if (holding && !this.#holding) {
      const queue = this.#queue;
      for (let i = this.#head; i < queue.length; i++) {
        const payload = queue[i] as Uint8Array;
        if (wasteful(payload)) queue[i] = payload.slice();
      }
    }
    this.#holding = holding;
  }

  /** Drops everything (the connection is gone), giving its bytes back to the budget. */
  clear(): void {
    this.#charge(-this.#bytes);
    this.#queue = [];
    this.#head = 0;
  }

  /** Removes frames worth up to `budget` bytes (always at least one) and returns them as write chunks. */
  take(budget: number): Uint8Array[] {
    if (this.#framing.separate) return this.#takeSeparate(budget);
    const queue = this.#queue;
    const { headerSize, writeHeader } = this.#framing;
    const start = this.#head;
    let stop = start;
    let bytes = 0;
    let copied = 0;
    while (stop < queue.length) {
      const size = (queue[stop] as Uint8Array).length;
      if (stop > start && bytes + headerSize + size > budget) break;
      bytes += headerSize + size;
      copied += headerSize + (size < COPY_LIMIT ? size : 0);
      stop++;
    }

    const batch = new Uint8Array(copied);
    const chunks: Uint8Array[] = [];
    let at = 0;
    let chunkStart = 0;
    for (let i = start; i < stop; i++) {
      const payload = queue[i] as Uint8Array;
      writeHeader(batch, at, payload.length);
      at += headerSize;
      if (payload.length < COPY_LIMIT) {
        batch.set(payload, at);
        at += payload.length;
      } else {
        // The channel may hold it a while (a peer reading slowly): a view must not keep a large buffer alive there.
        chunks.push(batch.subarray(chunkStart, at), wasteful(payload) ? payload.slice() : payload);
        chunkStart = at;
      }
    }
    if (at > chunkStart) chunks.push(batch.subarray(chunkStart, at));

    this.#remove(stop, bytes);
    return chunks;
  }

  /** One chunk per message, as they are: for transports that keep messages apart. */
  #takeSeparate(budget: number): Uint8Array[] {
    const queue = this.#queue;
    const start = this.#head;
    let stop = start;
    let bytes = 0;
    while (stop < queue.length && (stop === start || bytes + (queue[stop] as Uint8Array).length <= budget))
      bytes += (queue[stop++] as Uint8Array).length;
    const chunks = queue.slice(start, stop).map((payload) => (wasteful(payload) ? payload.slice() : payload));
    this.#remove(stop, bytes);
    return chunks;
  }

  #remove(stop: number, bytes: number): void {
    const queue = this.#queue;
    const start = this.#head;
    this.#charge(-bytes);
    this.#head = stop;
    if (stop === queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (stop > 1024 && stop * 2 > queue.length) {
      this.#queue = queue.slice(stop);
      this.#head = 0;
    } else {
      for (let i = start; i < stop; i++) queue[i] = EMPTY; // let sent payloads be collected
    }
  }

  #charge(bytes: number): void {
    this.#bytes += bytes;
    this.#budget?.charge(bytes);
  }
}

const EMPTY = new Uint8Array(0);
