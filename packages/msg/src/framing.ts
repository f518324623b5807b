import { msgError } from './errors.js';
import { FrameDecoder } from './frame-decoder.js';
import { HEADER_SIZE, writeLength } from './frame.js';

/** Turns received bytes into messages; throws a ProtocolError on bytes that break the framing. */
export interface MessageDecoder {
  /** Takes the next bytes received; complete messages go to the decoder's `onMessage` at once. */
  push(chunk: Uint8Array): void;
  /** The largest message accepted; changing it applies from the next message. */
  maxMessageSize: number;
  /** Bytes held for a message not yet complete. */
  readonly bufferedBytes: number;
}

/** Memory shared by a server's connections (its maxBufferedBytes): whether `bytes` more fit. */
export interface HoldingBudget {
  /** Whether `bytes` more fit. */
  fits(bytes: number): boolean;
}

/**
 * How messages are delimited on a byte stream: the Msg toolkit's 4-byte
 * length prefix (the default), or a format whose messages delimit
 * themselves (MessagePack-RPC's stream of values, in `@rpc/mprpc`).
 */
export interface Framing {
  /**
   * A decoder for one connection, calling `onMessage` with each complete message; `maxMessageSize` is checked before
   * memory is spent. Memory it would hold beyond the bytes received is taken only if `budget` (a server's) fits it.
   */
  decoder(onMessage: (message: Uint8Array) => void, maxMessageSize: number, budget?: HoldingBudget): MessageDecoder;
  /** Bytes written in front of each message (0 when messages delimit themselves). */
  readonly headerSize: number;
  /** Writes the header of a `length`-byte message at `offset`. */
  writeHeader(target: Uint8Array, offset: number, length: number): void;
  /** Messages are written one per chunk, never merged (the transport keeps them apart). */
  readonly separate?: boolean;
}

/** The Msg toolkit's framing: a 4-byte big-endian length, then the payload (Event::RPC's too). */
export const lengthPrefixed: Framing = {
  decoder: (onMessage, maxMessageSize, budget) => new FrameDecoder(onMessage, maxMessageSize, budget),
  headerSize: HEADER_SIZE,
  writeHeader: writeLength,
};

/**
 * For channels that keep message boundaries themselves (WebSocket): each
 * data chunk is one message and each message goes out as one write, with no
 * header. The size limit is checked on the whole chunk.
 */
export const messagePerChunk: Framing = {
  decoder: (onMessage, maxMessageSize) => ({
    bufferedBytes: 0,
    maxMessageSize,
    push(chunk: Uint8Array): void {
      if (chunk.length > this.maxMessageSize) {
        throw msgError(
          'MSG_FRAME_TOO_LARGE',
          `peer sent a ${chunk.length}-byte message; the limit is ${this.maxMessageSize} bytes`,
          { data: { declaredLength: chunk.length } },
        );
      }
      onMessage(chunk);
    },
  }),
  headerSize: 0,
  writeHeader: () => undefined,
  separate: true,
};
