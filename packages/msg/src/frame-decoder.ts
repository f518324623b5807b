import { msgError } from './errors.js';
import { DEFAULT_MAX_PACKET_SIZE, HEADER_SIZE, readLength } from './frame.js';
import type { MessageDecoder } from './framing.js';

/**
 * Turns a byte stream into frame payloads: a state machine with no socket
 * and no loop inside. Frames that lie whole inside one chunk come out as
 * views of it without copying; a frame spread over several chunks keeps
 * only the pieces received so far and is joined once, when complete, so
 * memory grows with bytes received, never with the length a peer declares.
 */
export class FrameDecoder implements MessageDecoder {
  /** The largest payload a header may declare; may be changed at any time, and applies from the next header. */
  maxMessageSize: number;
  readonly #onFrame: (payload: Uint8Array) => void;
  /** The header read so far when it is split over chunks: its bytes as a number, and how many there were. */
  #header = 0;
  #headerFill = 0;
  /** Payload length of the frame being assembled, or -1 while reading a header. */
  #expected = -1;
  #parts: Uint8Array[] = [];
  #received = 0;

  constructor(onFrame: (payload: Uint8Array) => void, maxMessageSize: number = DEFAULT_MAX_PACKET_SIZE) {
    this.#onFrame = onFrame;
    this.maxMessageSize = maxMessageSize;
  }

  /** Bytes of a frame begun and not yet complete, its header included: 0 only between frames. */
  get bufferedBytes(): number {
    return this.#expected < 0 ? this.#headerFill : HEADER_SIZE + this.#received;
  }

  /**
   * Feeds bytes in; calls onFrame for every frame they complete. Throws
   * MSG_FRAME_TOO_LARGE as soon as a header declares more than maxMessageSize.
   */
  push(chunk: Uint8Array): void {
    const end = chunk.length;
    let offset = 0;
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
      this.#parts.push(chunk.subarray(offset, offset + take));
      this.#received += take;
      offset += take;
      if (this.#received === this.#expected) this.#onFrame(this.#assemble());
    }
  }

  #assemble(): Uint8Array {
    const parts = this.#parts;
    const payload = new Uint8Array(this.#received);
    let at = 0;
    for (const part of parts) {
      payload.set(part, at);
      at += part.length;
    }
    this.#parts = [];
    this.#received = 0;
    this.#expected = -1;
    return payload;
  }
}
