import type { Channel } from './channel.js';
import type { Address, Endpoint } from './endpoint.js';
import type { Subscription } from './emitter.js';
import type { TransportError } from './errors.js';

/** A scheduled task; cancel() (or dispose) stops it from running again. */
export interface Timer extends Disposable {
  /** False once cancelled, or once a one-shot timer has run. */
  readonly active: boolean;
  cancel(): void;
}

export interface ListenerEvents {
  /** A failure that concerns one incoming peer (e.g. its TLS handshake); the listener keeps accepting. */
  error: (error: TransportError) => void;
}

/** A listening socket. Closing it stops accepting; channels already accepted stay open. */
export interface Listener extends AsyncDisposable {
  /** The bound address, with the real port when port 0 was asked for. */
  readonly address: Address;
  close(): Promise<void>;
  on<K extends keyof ListenerEvents>(event: K, listener: ListenerEvents[K]): Subscription;
}

export interface ConnectOptions {
  /** Give up after this many milliseconds (LOOP_CONNECT_TIMEOUT). */
  readonly timeoutMs?: number;
  /** Abort the attempt (LOOP_ABORTED). */
  readonly signal?: AbortSignal;
}

/**
 * Any readable source with the stream events `data`, `end` and `error`
 * (Node's stdin, a pipe, a child's stdout). Typed structurally so that this
 * package needs no platform types.
 */
export interface ReadableSource {
  on(event: 'data', listener: (chunk: Uint8Array | string) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'data', listener: (chunk: Uint8Array | string) => void): unknown;
  off(event: 'end', listener: () => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  pause?(): unknown;
  resume?(): unknown;
}

/** The callbacks of {@link Loop.watch}, after the Msg toolkit's `set_event_handler(handle, read => ...)`. */
export interface WatchHandlers {
  read(chunk: Uint8Array): void;
  /** The source has no more data. */
  end?(): void;
  error?(error: Error): void;
}

/**
 * The one event-loop abstraction every @rpc layer runs on, as Event::RPC
 * hides AnyEvent, Event and Glib behind Event::RPC::Loop. Adapters exist
 * for Node (net/tls), RxJS schedulers and WebSocket transports.
 */
export interface Loop {
  /** Milliseconds on this loop's clock (virtual time under a test scheduler). */
  now(): number;
  /** Runs `task` once after `delayMs`. */
  timer(delayMs: number, task: () => void): Timer;
  /** Runs `task` every `intervalMs` until cancelled. */
  repeat(intervalMs: number, task: () => void): Timer;
  /** Runs `task` after the I/O callbacks of the current turn: the place to coalesce writes. */
  defer(task: () => void): void;
  /** Resolves when leave() is called; keeps the process alive until then. */
  enter(): Promise<void>;
  leave(): void;
  /** Accepts channels at `endpoint`; resolves once bound. */
  listen(endpoint: Endpoint, onChannel: (channel: Channel) => void): Promise<Listener>;
  /** Opens a channel to `endpoint`; resolves once connected (and, with TLS, verified). */
  connect(endpoint: Endpoint, options?: ConnectOptions): Promise<Channel>;
  /** Calls `handlers.read` with each chunk of `source` until the subscription is disposed or the source ends. */
  watch(source: ReadableSource, handlers: WatchHandlers): Subscription;
}
