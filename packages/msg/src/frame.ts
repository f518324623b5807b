import { msgError } from './errors.js';

/** Bytes of the big-endian length that starts every frame. */
export const HEADER_SIZE = 4;
/** The largest length four bytes can declare: 4 GiB − 1. */
export const MAX_PACKET_SIZE_LIMIT = 0xffff_ffff;
/**
 * 16 MiB: what a server on the open network can afford per connection (grpc-js
 * allows 4 MiB, ws 100 MiB). Both peers must use the same limit.
 */
export const DEFAULT_MAX_PACKET_SIZE = 16 * 1024 * 1024;
/** Event::RPC's default, 2 GiB: for a server whose Perl clients send larger messages. */
export const PERL_MAX_PACKET_SIZE = 2 ** 31;

/** Reads the unsigned big-endian length at `offset`. */
export function readLength(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset] as number) * 0x100_0000 +
    (((bytes[offset + 1] as number) << 16) | ((bytes[offset + 2] as number) << 8) | (bytes[offset + 3] as number))
  );
}

/** Writes `length` big-endian at `offset`. */
export function writeLength(target: Uint8Array, offset: number, length: number): void {
  target[offset] = length >>> 24;
  target[offset + 1] = length >>> 16;
  target[offset + 2] = length >>> 8;
  target[offset + 3] = length;
}

/** One frame in a fresh buffer: header then payload. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(HEADER_SIZE + payload.length);
  writeLength(frame, 0, payload.length);
  frame.set(payload, HEADER_SIZE);
  return frame;
}

/** Validates a maxPacketSize option: a whole number from 0 to 4 GiB − 1. */
export function checkMaxPacketSize(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_PACKET_SIZE_LIMIT) {
    throw msgError(
      'MSG_INVALID_OPTION',
      `maxPacketSize must be a whole number from 0 to ${MAX_PACKET_SIZE_LIMIT}, got ${value}`,
    );
  }
  return value;
}
