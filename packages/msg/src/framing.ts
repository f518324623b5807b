import { FrameDecoder } from './frame-decoder.js';
import { HEADER_SIZE, writeLength } from './frame.js';

/** Turns received bytes into messages; throws (a FrameError or the framing's own RpcError) on bytes that break the framing. */
export interface MessageDecoder {
  push(chunk: Uint8Array): void;
  /** Bytes held for a message not yet complete. */
  readonly bufferedBytes: number;
}

/**
 * How messages are delimited on a byte stream: the Msg toolkit's 4-byte
 * length prefix (the default), or a format whose messages delimit
 * themselves (MessagePack-RPC's stream of values, in @rpc/mprpc).
 */
export interface Framing {
  /** A decoder for one connection, calling `onMessage` with each complete message; `maxMessageSize` is checked before memory is spent. */
  decoder(onMessage: (message: Uint8Array) => void, maxMessageSize: number): MessageDecoder;
  /** Bytes written in front of each message (0 when messages delimit themselves). */
  readonly headerSize: number;
  /** Writes the header of a `length`-byte message at `offset`. */
  writeHeader(target: Uint8Array, offset: number, length: number): void;
}

/** The Msg toolkit's framing: a 4-byte big-endian length, then the payload (Event::RPC's too). */
export const lengthPrefixed: Framing = {
  decoder: (onMessage, maxMessageSize) => new FrameDecoder(onMessage, maxMessageSize),
  headerSize: HEADER_SIZE,
  writeHeader: writeLength,
};
