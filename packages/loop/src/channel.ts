import type { Address } from './endpoint.js';
import type { Subscription } from './emitter.js';
import type { TransportError } from './errors.js';

export interface ChannelEvents {
  /** Bytes from the peer. The chunk belongs to the receiver; it is never reused by the channel. */
  data: (chunk: Uint8Array) => void;
  /** Everything written so far has been handed to the operating system: write again. */
  drain: () => void;
  /** The channel is gone, once; `error` is set unless it ended cleanly (by either side). */
  close: (error?: TransportError) => void;
}

/** Called when written bytes were handed to the operating system, or with the error that stopped them. */
export type FlushCallback = (error?: TransportError) => void;

/**
 * A duplex byte stream with explicit backpressure: `write` says whether to
 * wait for `drain`, `bufferedAmount` tells how much is waiting, and `pause`
 * stops reading so that a slow consumer slows the peer down.
 */
export interface Channel {
  readonly local: Address;
  readonly remote: Address;
  /** True when the bytes travel over TLS. */
  readonly secure: boolean;
  /**
   * True when each write() arrives at the peer as one `data` chunk
   * (WebSocket): the transport frames messages itself, so no length prefix
   * is needed and writes are never merged.
   */
  readonly messageBoundaries?: boolean;
  /** Bytes accepted by write() and not yet handed to the operating system. */
  readonly bufferedAmount: number;
  readonly closed: boolean;

  /** Queues bytes; returns false when the caller should wait for `drain` before writing more. */
  write(chunk: Uint8Array, onFlushed?: FlushCallback): boolean;
  /** Queues several chunks to go out together (one system call where the platform allows). */
  writev(chunks: readonly Uint8Array[], onFlushed?: FlushCallback): boolean;
  /** Stop delivering `data` until resume(). */
  pause(): void;
  resume(): void;
  /** Ends the channel after everything written has gone out. */
  close(): void;
  /** Drops the channel at once; `close` is emitted with `error` if given. */
  destroy(error?: TransportError): void;

  on<K extends keyof ChannelEvents>(event: K, listener: ChannelEvents[K]): Subscription;
}
