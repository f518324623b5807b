import type { Socket } from 'node:net';
import { type Address, type Channel, type ChannelEvents, Emitter, type FlushCallback, formatAddress, loopError, type Subscription, TransportError } from '@rpc/loop';
import { ioError } from './errors.js';

function flushCallback(onFlushed: FlushCallback | undefined, peer: string): ((err?: Error | null) => void) | undefined {
  if (onFlushed === undefined) return undefined;
  return (err) => onFlushed(err ? ioError(err, peer) : undefined);
}

/** A Channel over a node:net or node:tls socket, with Nagle's algorithm off. */
export class NodeChannel implements Channel {
  readonly local: Address;
  readonly remote: Address;
  readonly secure: boolean;
  readonly #socket: Socket;
  readonly #events = new Emitter<ChannelEvents>();
  readonly #peer: string;
  #reading = false;
  #closed = false;
  #error: TransportError | undefined;

  constructor(socket: Socket, secure: boolean, unixPath?: string) {
    this.#socket = socket;
    this.secure = secure;
    if (unixPath !== undefined) {
      // A Unix client socket has no name of its own: both ends report the socket path.
      this.local = this.remote = { path: unixPath };
    } else {
      this.local = { host: socket.localAddress ?? '', port: socket.localPort ?? 0 };
      this.remote = { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    }
    this.#peer = formatAddress(this.remote);
    socket.setNoDelay(true);
    socket.on('drain', () => this.#events.emit('drain'));
    socket.on('error', (err) => {
      this.#error ??= ioError(err, this.#peer);
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#events.emit('close', this.#error);
      this.#events.removeAllListeners();
    });
  }

  get bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(chunk: Uint8Array, onFlushed?: FlushCallback): boolean {
    if (this.#refuseWrite(onFlushed)) return false;
    return this.#socket.write(chunk, flushCallback(onFlushed, this.#peer));
  }

  writev(chunks: readonly Uint8Array[], onFlushed?: FlushCallback): boolean {
    if (this.#refuseWrite(onFlushed)) return false;
    const last = chunks.length - 1;
    if (last < 0) {
      if (onFlushed) queueMicrotask(() => onFlushed());
      return this.#socket.writableNeedDrain === false;
    }
    // Corked writes leave as one writev() system call.
    this.#socket.cork();
    for (let i = 0; i < last; i++) this.#socket.write(chunks[i] as Uint8Array);
    const ok = this.#socket.write(chunks[last] as Uint8Array, flushCallback(onFlushed, this.#peer));
    this.#socket.uncork();
    return ok;
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  close(): void {
    if (!this.#closed) this.#socket.end();
  }

  destroy(error?: TransportError): void {
    if (this.#closed) return;
    this.#error ??= error;
    this.#socket.destroy();
  }

  on<K extends keyof ChannelEvents>(event: K, listener: ChannelEvents[K]): Subscription {
    if (this.#closed && event === 'close') {
      // Late subscribers still hear of the close, once.
      const error = this.#error;
      queueMicrotask(() => (listener as ChannelEvents['close'])(error));
    }
    const subscription = this.#events.on(event, listener);
    // Start reading only once someone listens, so no bytes are dropped before then.
    if (event === 'data' && !this.#reading) {
      this.#reading = true;
      this.#socket.on('data', (chunk: Buffer) => this.#events.emit('data', chunk));
    }
    return subscription;
  }

  #refuseWrite(onFlushed: FlushCallback | undefined): boolean {
    if (!this.#closed && this.#socket.writable) return false;
    if (onFlushed) {
      const error = loopError('LOOP_CHANNEL_CLOSED', `connection to ${this.#peer} is closed`);
      queueMicrotask(() => onFlushed(error));
    }
    return true;
  }
}
