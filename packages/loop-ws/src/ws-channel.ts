import { type Address, BaseChannel, type FlushCallback, formatAddress, loopError, TransportError } from '@rpc/loop';

/** The part of the W3C WebSocket API a channel needs: browsers' WebSocket and the `ws` package's alike. */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed, as the W3C API numbers them; only an open one is written to. */
  readonly readyState: number;
  /** Bytes queued by send() and not yet sent. */
  readonly bufferedAmount: number;
  /** What binary messages arrive as; a channel on a browser's WebSocket sets `'arraybuffer'`. */
  binaryType: string;
  /** Sends one binary message; `ws` calls `callback` once it is written, browsers never do. */
  send(data: Uint8Array, callback?: (error?: Error) => void): void;
  /** Starts the closing handshake (the channel sends 1000, a normal close). */
  close(code?: number, reason?: string): void;
  /** A message arrived: `data` is its payload. */
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  /** The connection closed, with the close frame's code and reason (1006 when it dropped without one). */
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  /** The connection failed; `close` follows. */
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
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
  return utf8.encode(String(data)); // a text message: its UTF-8 bytes
}

/** Why a WebSocket closed, unless it closed cleanly: 1000 (normal) and 1005 (no status) do. */
function closeError(code: number, reason: string, peer: string): TransportError | undefined {
  if (code === 1000 || code === 1005) return undefined;
  // 1006: the connection dropped; 1009: a message over maxPayload.
  const kind = code === 1006 ? 'LOOP_CONNECTION_RESET' : 'LOOP_IO_FAILED';
  const why = reason ? ` (${reason})` : '';
  return new TransportError(kind, `WebSocket to ${peer} closed with ${code}${why}`, { reason: String(code) });
}

/** What a {@link WsChannel} is told about its WebSocket by the loop that made it. */
export interface WsChannelOptions {
  /** The two ends; read when first asked for (a connecting WebSocket knows them only once open). */
  readonly addresses: () => {
    /** This end's address. */
    readonly local: Address;
    /** The peer's address. */
    readonly remote: Address;
  };
  /** Whether the WebSocket runs over TLS (wss). */
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
 * the moment the connection opens; what arrives before anyone listens is
 * held. Node's ws stops reading while the channel is paused; a browser's
 * cannot, so what it reads meanwhile is held too.
 */
export class WsChannel extends BaseChannel {
  /** Whether the WebSocket runs over TLS (wss). */
  readonly secure: boolean;
  /** Always true: each write is one WebSocket message, and each message one `data` chunk. */
  readonly messageBoundaries = true;
  readonly #ws: NodeWebSocket;
  readonly #poll: (task: () => void) => void;
  readonly #addresses: WsChannelOptions['addresses'];
  #known: { readonly local: Address; readonly remote: Address } | undefined;

  constructor(ws: WebSocketLike, options: WsChannelOptions) {
    super();
    this.#ws = ws as NodeWebSocket;
    this.#addresses = options.addresses;
    this.secure = options.secure;
    this.#poll = options.poll;
    if (typeof this.#ws.on === 'function') {
      // ws in Node: its own events hand over Buffers (Uint8Arrays) without an Event object or a copy per message.
      this.#ws.on('message', (data) => this.received(bytesOf(data)));
    } else {
      ws.binaryType = 'arraybuffer';
      ws.addEventListener('message', (event) => this.received(bytesOf(event.data)));
    }
    ws.addEventListener('error', (event) => {
      const cause = event.error ?? event.message;
      const why = cause instanceof Error ? cause.message : String(cause ?? 'error');
      this.failed(loopError('LOOP_IO_FAILED', `WebSocket to ${formatAddress(this.remote)} failed: ${why}`, { cause }));
    });
    ws.addEventListener('close', ({ code, reason }) => {
      this.ended(closeError(code, reason, formatAddress(this.remote)));
    });
  }

  /** This end's address (empty in browsers, which do not tell it). */
  get local(): Address {
    this.#known ??= this.#addresses();
    return this.#known.local;
  }

  /** The peer's address. */
  get remote(): Address {
    this.#known ??= this.#addresses();
    return this.#known.remote;
  }

  /** The WebSocket's bufferedAmount: bytes sent and not yet on the wire. */
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  protected override transportWritable(): boolean {
    return this.#ws.readyState === OPEN;
  }

  /** Each chunk goes as its own WebSocket message. */
  protected transmit(chunks: readonly Uint8Array[], onFlushed: FlushCallback | undefined): boolean {
    const last = chunks.length - 1;
    // Node's ws writes each message with its own socket write; corked, a batch leaves in one system call.
    const socket = last > 0 ? this.#ws._socket : undefined;
    socket?.cork();
    for (const [i, chunk] of chunks.entries()) this.#ws.send(chunk, i === last ? this.#sent(onFlushed) : undefined);
    socket?.uncork();
    return true; // the base compares bufferedAmount with its high-water mark
  }

  protected setReading(on: boolean): void {
    if (on) this.#ws.resume?.();
    else this.#ws.pause?.();
  }

  protected shutdown(): void {
    this.#ws.close(1000);
  }

  protected abort(): void {
    if (this.#ws.terminate) this.#ws.terminate();
    else this.#ws.close(1000);
  }

  protected override awaitDrain(): void {
    this.#poll(() => {
      if (this.closed) return;
      if (this.#ws.bufferedAmount > 0) return this.awaitDrain();
      this.drained();
    });
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
      const check = (): void => (this.#ws.bufferedAmount === 0 || this.closed ? done() : this.#poll(check));
      this.#poll(check);
    }
    return done;
  }
}
