import type { Loop } from '@rpc/loop';
import { msgError } from './errors.js';
import { checkMaxPacketSize, DEFAULT_MAX_PACKET_SIZE } from './frame.js';
import { defaultLoop } from './default-loop.js';
import { lengthPrefixed, type Framing } from './framing.js';

/** The limits and timeouts of a Msg connection, and the loop and framing it runs on (for clients and servers). */
export interface MsgOptions {
  /** The loop that carries the bytes and schedules flushes (default: the Node loop). */
  readonly loop?: Loop;
  /**
   * Largest message either way, checked on the declared length before memory is spent (default 16 MiB; at most 4 GiB −
   * 1; Event::RPC's is 2 GiB, `PERL_MAX_PACKET_SIZE`).
   */
  readonly maxPacketSize?: number;
  /**
   * sendLater() refuses a message once this many bytes wait unsent; a message always enters an empty queue (default 16
   * MiB). Past half of it, reading pauses until the peer has read a quarter of it back down.
   */
  readonly maxQueueBytes?: number;
  /** How long the peer may read nothing of a send queue past half full before it is closed (default 30 s). */
  readonly sendTimeoutMs?: number;
  /** How long one message may take to arrive once its first byte has (default 60 s). */
  readonly messageTimeoutMs?: number;
  /** Close the connection after this long without a byte either way (default 0: never). */
  readonly idleTimeoutMs?: number;
  /** Bytes of messages received but not yet consumed before reading pauses and the peer is slowed (default 1 MiB). */
  readonly receiveBufferBytes?: number;
  /** How long disconnect() waits for the peer to close its side before dropping the connection (default 5 s). */
  readonly disconnectTimeoutMs?: number;
  /** How messages are delimited (default: the 4-byte length prefix). */
  readonly framing?: Framing;
}

export interface ResolvedOptions {
  readonly loop: Loop;
  readonly maxPacketSize: number;
  readonly maxQueueBytes: number;
  readonly sendTimeoutMs: number;
  readonly messageTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly receiveBufferBytes: number;
  readonly disconnectTimeoutMs: number;
  readonly framing: Framing;
}

function positive(name: string, value: number): number {
  if (!(value > 0)) throw msgError('MSG_INVALID_OPTION', `${name} must be a positive number, got ${value}`);
  return value;
}

/** A time limit where 0 means none. */
function orNever(name: string, value: number): number {
  return value === 0 ? 0 : positive(name, value);
}

/** Fills in defaults and checks ranges; resolving resolved options gives the same values. */
export function resolveOptions(options: MsgOptions = {}): ResolvedOptions {
  return {
    loop: options.loop ?? defaultLoop(),
    maxPacketSize: checkMaxPacketSize(options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE),
    maxQueueBytes: positive('maxQueueBytes', options.maxQueueBytes ?? 16 * 1024 * 1024),
    sendTimeoutMs: positive('sendTimeoutMs', options.sendTimeoutMs ?? 30_000),
    messageTimeoutMs: positive('messageTimeoutMs', options.messageTimeoutMs ?? 60_000),
    idleTimeoutMs: orNever('idleTimeoutMs', options.idleTimeoutMs ?? 0),
    receiveBufferBytes: positive('receiveBufferBytes', options.receiveBufferBytes ?? 1024 * 1024),
    disconnectTimeoutMs: positive('disconnectTimeoutMs', options.disconnectTimeoutMs ?? 5000),
    framing: options.framing ?? lengthPrefixed,
  };
}
