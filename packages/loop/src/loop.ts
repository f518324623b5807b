import type { Channel } from './channel.js';
import type { Address, Endpoint } from './endpoint.js';
import type { Subscription } from './emitter.js';
import type { TransportError } from './errors.js';

/** A scheduled task; cancel() (or dispose) stops it from running again. */
export interface Timer extends Disposable {
  /** False once cancelled, or once a one-shot timer has run. */
  readonly active: boolean;
  /** Stops the timer; cancelling twice, or after a one-shot timer has run, does nothing. */
  cancel(): void;
}

/** The events of a {@link Listener}, each with its listener. */
export interface ListenerEvents {
  /** A failure that concerns one incoming peer (e.g. its TLS handshake); the listener keeps accepting. */
  error: (error: TransportError) => void;
}

/** A listening socket. Closing it stops accepting; channels already accepted stay open. */
export interface Listener extends AsyncDisposable {
  /** The bound address, with the real port when port 0 was asked for. */
  readonly address: Address;
  /** Stops accepting channels; those already accepted are left to their owners. */
  close(): Promise<void>;
  /** Listens to `event`. */
  on<K extends keyof ListenerEvents>(event: K, listener: ListenerEvents[K]): Subscription;
}

/** How {@link Loop.connect} tries: for how long, and whether the caller may stop it. */
export interface ConnectOptions {
  /** Give up after this many milliseconds (LOOP_CONNECT_TIMEOUT). */
  readonly connectTimeoutMs?: number;
  /** Abort the attempt (LOOP_ABORTED). */
  readonly signal?: AbortSignal;
}

/**
 * Any readable source with the stream events `data`, `end`, `error` and
 * `close` (Node's stdin, a pipe, a child's stdout). Typed structurally so
 * that this package needs no platform types.
 */
export interface ReadableSource {
  /** Adds a listener for chunks of data (text is read as UTF-8). */
  on(event: 'data', listener: (chunk: Uint8Array | string) => void): unknown;
  /** Adds a listener for the end of the data, or the source closing. */
  on(event: 'end' | 'close', listener: () => void): unknown;
  /** Adds a listener for the source failing. */
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** Removes a `data` listener. */
  off(event: 'data', listener: (chunk: Uint8Array | string) => void): unknown;
  /** Removes an `end` or `close` listener. */
  off(event: 'end' | 'close', listener: () => void): unknown;
  /** Removes an `error` listener. */
  off(event: 'error', listener: (error: Error) => void): unknown;
  /** Stops reading: a watch disposed pauses its source rather than destroying it. */
  pause?(): unknown;
  /** Reads on: a watch resumes its source when it starts. */
  resume?(): unknown;
}

/**
 * Any writable handle that says when it is full (Node's stdout, a pipe, a
 * socket): `writableNeedDrain` is true from the write that filled it until
 * `drain`. Typed structurally, as {@link ReadableSource}.
 */
export interface WritableSink {
  /** False once the sink has ended, failed or been destroyed. */
  readonly writable: boolean;
  /** True while written data waits for `drain`. */
  readonly writableNeedDrain: boolean;
  /** Adds a listener for the sink taking more again (`drain`), or closing. */
  on(event: 'drain' | 'close', listener: () => void): unknown;
  /** Adds a listener for the sink failing. */
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** Removes a `drain` or `close` listener. */
  off(event: 'drain' | 'close', listener: () => void): unknown;
  /** Removes an `error` listener. */
  off(event: 'error', listener: (error: Error) => void): unknown;
}

/** What {@link Loop.watch} watches: a readable source, a writable sink, or both (a socket). */
export type WatchSource = ReadableSource | WritableSink;

/**
 * The callbacks of {@link Loop.watch}, after the Msg toolkit's
 * `set_event_handler(handle, read => ..., write => ...)`. At least one of
 * `read` and `write` is required.
 */
export interface WatchHandlers {
  /** A chunk arrived on a readable source. */
  read?(chunk: Uint8Array): void;
  /**
   * The sink can take more. Level-triggered, as a select loop reports a
   * writable handle: called once per loop turn for as long as the watch
   * lasts, except while a `drain` is awaited.
   */
  write?(): void;
  /** The source has no more data, or the sink has closed; the watch is over. */
  end?(): void;
  /** The source or sink failed; the watch is over. */
  error?(error: Error): void;
}

/**
 * The one event-loop abstraction every `@rpc` layer runs on, as Event::RPC
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
  /** Ends the current enter(): its promise resolves, and the loop no longer keeps the process alive. */
  leave(): void;
  /**
   * Accepts channels at `endpoint`; resolves once bound. `onChannel` is never
   * called before the returned promise has resolved and the code awaiting it
   * has run (channels accepted sooner wait for the loop's next turn), so a
   * caller needs no buffer for channels that come before its listener.
   */
  listen(endpoint: Endpoint, onChannel: (channel: Channel) => void): Promise<Listener>;
  /** Opens a channel to `endpoint`; resolves once connected (and, with TLS, verified). */
  connect(endpoint: Endpoint, options?: ConnectOptions): Promise<Channel>;
  /**
   * Calls `handlers.read` with each chunk of `source`, and `handlers.write`
   * once per turn while it can take more, until the subscription is disposed
   * or the source ends. Disposing pauses a readable source, never destroys it.
   */
  watch(source: WatchSource, handlers: WatchHandlers): Subscription;
}
