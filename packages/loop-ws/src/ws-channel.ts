import { type Address, type Channel, type ChannelEvents, Emitter, type FlushCallback, formatAddress, loopError, type Subscription, TransportError } from '@rpc/loop';

/** The part of the W3C WebSocket API a channel needs: browsers' WebSocket and the `ws` package's alike. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  binaryType: string;
  send(data: Uint8Array, callback?: (error?: Error) => void): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: 'error', listener: (event: { error?: unknown; message?: string }) => void): void;
}

/** Node's ws adds these; browsers have neither. */
interface NodeWebSocket extends WebSocketLike {
  pause?(): void;
  resume?(): void;
  terminate?(): void;
  /** ws's underlying net.Socket. */
  readonly _socket?: { cork(): void; uncork(): void };
  on?(event: 'message', listener: (data: unknown) => void): unknown;
}

/** Bytes waiting in the WebSocket before write() says to wait. */
const HIGH_WATER = 1024 * 1024;
const OPEN = 1;
const utf8 = new TextEncoder();

function bytesOf(data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data)) {
    // ws hands a fragmented message as a list of Buffers unless binaryType says otherwise.
    const parts = data.map(bytesOf);
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) (out.set(part, at), (at += part.length));
    return out;
  }
  return utf8.encode(String(data)); // a text message: its UTF-8 bytes
}

export interface WsChannelOptions {
  /** The two ends; read when first asked for (a connecting WebSocket knows them only once open). */
  readonly addresses: () => { readonly local: Address; readonly remote: Address };
  readonly secure: boolean;
  /** Waits between checks of bufferedAmount where the WebSocket reports no flushes (browsers). */
  readonly poll: (task: () => void) => void;
}

/**
 * A Channel over one WebSocket: each write is one WebSocket message and
 * each message one `data` chunk (messageBoundaries), so RPC messages travel
 * one per WebSocket message with no length prefix. Backpressure comes from
 * bufferedAmount: write() says wait past 1 MiB, and `drain` follows once it
 * has gone out. Make it as soon as the WebSocket exists: a server may speak
 * the moment the connection opens, and messages that arrive before anyone
 * listens are held.
 */
export class WsChannel implements Channel {
  readonly secure: boolean;
  readonly messageBoundaries = true;
  readonly #ws: NodeWebSocket;
  readonly #poll: (task: () => void) => void;
  readonly #events = new Emitter<ChannelEvents>();
  readonly #held: Uint8Array[] = [];
  readonly #addresses: WsChannelOptions['addresses'];
  #known: { readonly local: Address; readonly remote: Address } | undefined;
  #listening = false;
  #paused = false;
  #needDrain = false;
  #closed = false;
  #error: TransportError | undefined;

  constructor(ws: WebSocketLike, options: WsChannelOptions) {
    this.#ws = ws as NodeWebSocket;
    this.#addresses = options.addresses;
    this.secure = options.secure;
    this.#poll = options.poll;
    if (typeof this.#ws.on === 'function') {
      // ws in Node: its own events hand over Buffers (Uint8Arrays) without an Event object or a copy per message.
      this.#ws.on('message', (data) => this.#arrive(bytesOf(data)));
    } else {
      ws.binaryType = 'arraybuffer';
      ws.addEventListener('message', (event) => this.#arrive(bytesOf(event.data)));
    }
    ws.addEventListener('error', (event) => {
      const cause = event.error ?? event.message;
      this.#error ??= loopError('LOOP_IO_FAILED', `WebSocket to ${formatAddress(this.remote)} failed: ${cause instanceof Error ? cause.message : String(cause ?? 'error')}`, { cause });
    });
    ws.addEventListener('close', (event) => {
      if (this.#closed) return;
      this.#closed = true;
      // 1000 (normal) and 1005 (no status) end cleanly; 1006 means the connection dropped; 1009 a message over maxPayload.
      if (this.#error === undefined && event.code !== 1000 && event.code !== 1005) {
        const code = event.code === 1006 ? 'LOOP_CONNECTION_RESET' : 'LOOP_IO_FAILED';
        this.#error = new TransportError(code, `WebSocket to ${formatAddress(this.remote)} closed with ${event.code}${event.reason ? ` (${event.reason})` : ''}`, { reason: String(event.code) });
      }
      this.#events.emit('close', this.#error);
      this.#events.removeAllListeners();
    });
  }

  get local(): Address {
    this.#known ??= this.#addresses();
    return this.#known.local;
  }

  get remote(): Address {
    this.#known ??= this.#addresses();
    return this.#known.remote;
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(chunk: Uint8Array, onFlushed?: FlushCallback): boolean {
    return this.writev([chunk], onFlushed);
  }

  /** Each chunk goes as its own WebSocket message. */
  writev(chunks: readonly Uint8Array[], onFlushed?: FlushCallback): boolean {
    if (this.#closed || this.#ws.readyState !== OPEN) {
      if (onFlushed) queueMicrotask(() => onFlushed(loopError('LOOP_CHANNEL_CLOSED', `WebSocket to ${formatAddress(this.remote)} is closed`)));
      return false;
    }
    const last = chunks.length - 1;
    // Node's ws writes each message with its own socket write; corked, a batch leaves in one system call.
    const socket = last > 0 ? this.#ws._socket : undefined;
    socket?.cork();
    chunks.forEach((chunk, i) => {
      const done = i === last ? this.#sent(onFlushed) : undefined;
      this.#ws.send(chunk, done);
    });
    socket?.uncork();
    if (last < 0 && onFlushed) queueMicrotask(() => onFlushed());
    if (this.#ws.bufferedAmount >= HIGH_WATER && !this.#needDrain) {
      this.#needDrain = true;
      this.#awaitDrain();
    }
    return !this.#needDrain;
  }

  pause(): void {
    this.#paused = true;
    this.#ws.pause?.();
  }

  resume(): void {
    this.#paused = false;
    this.#ws.resume?.();
    this.#release();
  }

  close(): void {
    if (!this.#closed) this.#ws.close(1000);
  }

  destroy(error?: TransportError): void {
    if (this.#closed) return;
    this.#error ??= error;
    if (this.#ws.terminate) this.#ws.terminate();
    else this.#ws.close(1000);
  }

  on<K extends keyof ChannelEvents>(event: K, listener: ChannelEvents[K]): Subscription {
    if (this.#closed && event === 'close') {
      const error = this.#error;
      queueMicrotask(() => (listener as ChannelEvents['close'])(error));
    }
    const subscription = this.#events.on(event, listener);
    if (event === 'data' && !this.#listening) {
      this.#listening = true;
      this.#release(); // what arrived before anyone listened; a paused channel stays paused
    }
    return subscription;
  }

  #release(): void {
    while (!this.#paused && this.#listening && this.#held.length > 0) this.#events.emit('data', this.#held.shift() as Uint8Array);
  }

  #arrive(chunk: Uint8Array): void {
    if (this.#paused || !this.#listening) this.#held.push(chunk); // browsers cannot stop reading: hold what comes meanwhile
    else this.#events.emit('data', chunk);
  }

  /** ws calls back when a message has been written; browsers never do, and the drain poll stands in. */
  #sent(onFlushed: FlushCallback | undefined): ((error?: Error) => void) | undefined {
    if (onFlushed === undefined) return undefined;
    let called = false;
    const done = (error?: Error): void => {
      if (called) return;
      called = true;
      onFlushed(error ? loopError('LOOP_IO_FAILED', error.message, { cause: error }) : undefined);
    };
    if (!('terminate' in this.#ws)) {
      const check = (): void => (this.#ws.bufferedAmount === 0 || this.#closed ? done() : this.#poll(check));
      this.#poll(check);
    }
    return done;
  }

  #awaitDrain(): void {
    this.#poll(() => {
      if (this.#closed) return;
      if (this.#ws.bufferedAmount > 0) return this.#awaitDrain();
      this.#needDrain = false;
      this.#events.emit('drain');
    });
  }
}
