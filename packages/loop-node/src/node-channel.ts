import type { Socket } from 'node:net';
import { type Address, BaseChannel, type FlushCallback, formatAddress } from '@rpc/loop';
import { ioError } from './errors.js';

/** A Channel over a node:net or node:tls socket, with Nagle's algorithm off. */
export class NodeChannel extends BaseChannel {
  readonly local: Address;
  readonly remote: Address;
  readonly secure: boolean;
  readonly #socket: Socket;
  readonly #peer: string;

  constructor(socket: Socket, secure: boolean, unixPath?: string) {
    super({ highWaterMark: Infinity }); // the socket's own mark says when to wait
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
    // Paused until someone listens: unread bytes wait in the kernel, so the peer slows down.
    socket.pause();
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('drain', () => this.drained());
    socket.on('error', (err) => this.failed(ioError(err, this.#peer)));
    socket.on('close', () => this.ended());
  }

  get bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  protected override transportWritable(): boolean {
    return this.#socket.writable;
  }

  protected transmit(chunks: readonly Uint8Array[], onFlushed: FlushCallback | undefined): boolean {
    const last = chunks.length - 1;
    const done = onFlushed && ((err?: Error | null) => onFlushed(err ? ioError(err, this.#peer) : undefined));
    if (last === 0) return this.#socket.write(chunks[0] as Uint8Array, done);
    // Corked writes leave as one writev() system call.
    this.#socket.cork();
    for (let i = 0; i < last; i++) this.#socket.write(chunks[i] as Uint8Array);
    const ok = this.#socket.write(chunks[last] as Uint8Array, done);
    this.#socket.uncork();
    return ok;
  }

  protected setReading(on: boolean): void {
    if (on) this.#socket.resume();
    else this.#socket.pause();
  }

  protected shutdown(): void {
    this.#socket.end();
  }

  protected abort(): void {
    this.#socket.destroy();
  }
}
