import type { Address } from './endpoint.js';
import type { Subscription } from './emitter.js';
import type { TransportError } from './errors.js';

/** The events of a {@link Channel}, each with its listener. */
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
  /** This end's address. */
  readonly local: Address;
  /** The peer's address. */
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
  /** True once `close` has been emitted. */
  readonly closed: boolean;

  /** Queues bytes; returns false when the caller should wait for `drain` before writing more. */
  write(chunk: Uint8Array, onFlushed?: FlushCallback): boolean;
  /** Queues several chunks to go out together (one system call where the platform allows). */
  writev(chunks: readonly Uint8Array[], onFlushed?: FlushCallback): boolean;
  /** Stop delivering `data` until resume(). */
  pause(): void;
  /** Delivers `data` again after pause(), what arrived meanwhile first. */
  resume(): void;
  /** Ends the channel after everything written has gone out. */
  close(): void;
  /** Drops the channel at once; `close` is emitted with `error` if given. */
  destroy(error?: TransportError): void;

  /**
   * Listens to `event`. The first `data` listener starts the flow of data; a `close` listener added after the end
   * is still told, in a later task.
   */
  on<K extends keyof ChannelEvents>(event: K, listener: ChannelEvents[K]): Subscription;
}
