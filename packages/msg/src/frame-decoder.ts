import { msgError } from './errors.js';
import { DEFAULT_MAX_PACKET_SIZE, HEADER_SIZE, readLength } from './frame.js';
import type { HoldingBudget, MessageDecoder } from './framing.js';

/** Frames at least this long are assembled in a buffer of their own, copied into as their bytes arrive. */
const LARGE_FRAME = 1024 * 1024;
/** That buffer is made once this part of the frame has arrived. */
const ASSEMBLE_AT = 4;

/**
 * Turns a byte stream into frame payloads: a state machine with no socket
 * and no loop inside. Frames that lie whole inside one chunk come out as
 * views of it without copying; a frame spread over several chunks keeps
 * only the pieces received so far and is joined once, when complete, so
 * memory grows with bytes received, never with the length a peer declares.
 * A large frame (1 MiB or more) gets its buffer once a quarter of it has
 * arrived, and each later chunk is copied in as it comes: the socket's
 * chunks are not all held until the end (twice the frame's memory at its
 * peak). From then on bufferedBytes counts the whole frame, and the buffer
 * is made only if `budget` (a server's memory for partial messages) has
 * room for that; if not, the chunks are held and joined at the end.
 */
export class FrameDecoder implements MessageDecoder {
  /** The largest payload a header may declare; may be changed at any time, and applies from the next header. */
  maxMessageSize: number;
  readonly #onFrame: (payload: Uint8Array) => void;
  readonly #budget: HoldingBudget | undefined;
  /** The header read so far when it is split over chunks: its bytes as a number, and how many there were. */
  #header = 0;
  #headerFill = 0;
  /** Payload length of the frame being assembled, or -1 while reading a header. */
  #expected = -1;
  #parts: Uint8Array[] = [];
  #received = 0;
  /** The buffer of a large frame being filled in, once made. */
  #frame: Uint8Array | undefined;

  constructor(
    onFrame: (payload: Uint8Array) => void,
    maxMessageSize: number = DEFAULT_MAX_PACKET_SIZE,
    budget?: HoldingBudget,
  ) {
    this.#onFrame = onFrame;
    this.maxMessageSize = maxMessageSize;
    this.#budget = budget;
  }

  /**
   * Bytes held for a frame begun and not yet complete, its header included: those received, or the whole frame once
   * its buffer is made. 0 only between frames.
   */
  get bufferedBytes(): number {
    return this.#expected < 0 ? this.#headerFill : HEADER_SIZE + (this.#frame?.length ?? this.#received);
  }

  /**
   * Feeds bytes in; calls onFrame for every frame they complete. Throws
   * MSG_FRAME_TOO_LARGE as soon as a header declares more than maxMessageSize.
   */
  push(chunk: Uint8Array): void {
    const end = chunk.length;
    let offset = 0;
    /** What the budget holds for this decoder: a connection charges bufferedBytes after each push. */
    const charged = this.bufferedBytes;
    while (offset < end) {
      if (this.#expected < 0) {
        let length: number;
        if (this.#headerFill === 0 && end - offset >= HEADER_SIZE) {
          length = readLength(chunk, offset);
          offset += HEADER_SIZE;
        } else {
          while (this.#headerFill < HEADER_SIZE && offset < end) {
            this.#header = this.#header * 256 + (chunk[offset++] as number);
            this.#headerFill++;
          }
          if (this.#headerFill < HEADER_SIZE) return;
          length = this.#header;
          this.#header = this.#headerFill = 0;
        }
        if (length > this.maxMessageSize) {
          throw msgError(
            'MSG_FRAME_TOO_LARGE',
            `peer declared a ${length}-byte message; the limit is ${this.maxMessageSize} bytes`,
            { data: { declaredLength: length } },
          );
        }
        if (end - offset >= length) {
          // A plain Uint8Array view, whatever the chunk's class, so receivers always get one type.
          this.#onFrame(new Uint8Array(chunk.buffer, chunk.byteOffset + offset, length));
          offset += length;
          continue;
        }
        this.#expected = length;
        if (offset === end) return;
      }
      const take = Math.min(this.#expected - this.#received, end - offset);
      const piece = chunk.subarray(offset, offset + take);
      if (this.#frame !== undefined) this.#frame.set(piece, this.#received);
      else this.#parts.push(piece);
      this.#received += take;
      offset += take;
      if (this.#received === this.#expected) {
        const payload = this.#frame ?? this.#assemble();
        this.#parts = [];
        this.#frame = undefined;
        this.#received = 0;
        this.#expected = -1;
        this.#onFrame(payload);
      } else if (
        this.#frame === undefined &&
        this.#expected >= LARGE_FRAME &&
        this.#received * ASSEMBLE_AT >= this.#expected &&
        (this.#budget?.fits(HEADER_SIZE + this.#expected - charged) ?? true)
      ) {
        this.#frame = this.#assemble();
        this.#parts = [];
      }
    }
  }

  /** A buffer of the frame's length holding the parts received so far. */
  #assemble(): Uint8Array {
    const payload = new Uint8Array(this.#expected);
    let at = 0;
    for (const part of this.#parts) {
      payload.set(part, at);
      at += part.length;
    }
    return payload;
  }
}
