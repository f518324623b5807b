import {
  Emitter,
  formatAddress,
  type Address,
  type Channel,
  type ChannelEvents,
  type Loop,
  type Subscription,
} from '@rpc/loop';
import { msgError } from './errors.js';
import { ProxyHeaderParser, startsWithProxySignature, type ProxyHeader } from './proxy-header.js';

/** What a {@link ProxiedChannel} changes about the channel it wraps. */
export interface ProxiedChannelOptions {
  /** The client's address, as a balancer's PROXY header said; `remote` reports it. */
  readonly remote?: Address;
  /** Bytes that followed the header in its chunk: delivered before the channel's own, in a later task (`defer`). */
  readonly rest?: Uint8Array;
  /** Runs a task later, as the loop's defer (held bytes come in a later task, as a Channel's do). */
  readonly defer: (task: () => void) => void;
  /**
   * The peer may not send a PROXY header: one at the start closes the channel with MSG_PROXY_REFUSED (its first bytes
   * are held back until they tell, at most 11).
   */
  readonly refuseHeader?: boolean;
}

/**
 * A channel as a server behind a balancer sees it: the client's address from the balancer's PROXY header, and the
 * bytes after the header first; or, from anyone else, a refusal of a PROXY header. Everything else is the channel's.
 */
export class ProxiedChannel implements Channel {
  readonly #inner: Channel;
  readonly #remote: Address | undefined;
  readonly #data = new Emitter<{ data: (chunk: Uint8Array) => void }>();
  #rest: Uint8Array | undefined;
  /** The first bytes, while they might still be a PROXY signature; undefined once they cannot. */
  #sniffed: Uint8Array | undefined;
  readonly #defer: (task: () => void) => void;
  #paused = false;
  #listening = false;
  #releasing = false;

  /** Wraps `inner`, which should be paused until the wrapper's first `data` listener and resume(). */
  constructor(inner: Channel, options: ProxiedChannelOptions) {
    this.#inner = inner;
    this.#remote = options.remote;
    this.#rest = options.rest?.length ? options.rest : undefined;
    this.#sniffed = options.refuseHeader ? new Uint8Array(0) : undefined;
    this.#defer = options.defer;
  }

  /** The channel's own. */
  get local(): Address {
    return this.#inner.local;
  }

  /** The client's, as the header said; the socket's otherwise. */
  get remote(): Address {
    return this.#remote ?? this.#inner.remote;
  }

  /** The channel's own. */
  get secure(): boolean {
    return this.#inner.secure;
  }

  /** The channel's own. */
  get messageBoundaries(): boolean {
    return this.#inner.messageBoundaries ?? false;
  }

  /** The channel's own. */
  get bufferedAmount(): number {
    return this.#inner.bufferedAmount;
  }

  /** The channel's own. */
  get closed(): boolean {
    return this.#inner.closed;
  }

  /** The channel's own. */
  write(...args: Parameters<Channel['write']>): boolean {
    return this.#inner.write(...args);
  }

  /** The channel's own. */
  writev(...args: Parameters<Channel['writev']>): boolean {
    return this.#inner.writev(...args);
  }

  /** The channel's own. */
  pause(): void {
    this.#paused = true;
    this.#inner.pause();
  }

  /** Delivers the bytes after the header first, then the channel's. */
  resume(): void {
    this.#paused = false;
    if (this.#rest === undefined || !this.#listening) return this.#inner.resume();
    if (this.#releasing) return;
    this.#releasing = true;
    this.#defer(() => {
      this.#releasing = false;
      const rest = this.#rest;
      if (this.#paused || rest === undefined) return; // a later resume() delivers it
      this.#rest = undefined;
      this.#received(rest);
      if (!this.#paused) this.#inner.resume(); // unless a listener paused again
    });
  }

  /** The channel's own. */
  close(): void {
    this.#inner.close();
  }

  /** The channel's own. */
  destroy(...args: Parameters<Channel['destroy']>): void {
    this.#inner.destroy(...args);
  }

  /** `data` passes through the wrapper; other events are the channel's. */
  on<K extends keyof ChannelEvents>(event: K, listener: ChannelEvents[K]): Subscription {
    if (event !== 'data') return this.#inner.on(event, listener);
    const subscription = this.#data.on('data', listener as ChannelEvents['data']);
    if (!this.#listening) {
      this.#listening = true;
      this.#inner.on('data', (chunk) => this.#received(chunk));
    }
    return subscription;
  }

  #received(chunk: Uint8Array): void {
    const sniffed = this.#sniffed;
    if (sniffed !== undefined) {
      const bytes = new Uint8Array(sniffed.length + chunk.length);
      bytes.set(sniffed);
      bytes.set(chunk, sniffed.length);
      const signed = startsWithProxySignature(bytes);
      if (signed === undefined) {
        this.#sniffed = bytes; // shorter than a signature
        return;
      }
      this.#sniffed = undefined;
      if (signed) return this.#refuse();
      chunk = bytes;
    }
    this.#data.emit('data', chunk);
  }

  #refuse(): void {
    const where = formatAddress(this.#inner.remote);
    const address = 'host' in this.#inner.remote ? this.#inner.remote.host : undefined;
    this.#inner.destroy(
      msgError('MSG_PROXY_REFUSED', `a PROXY header from ${where}, which is not allowed to send one`, {
        data: { address },
      }),
    );
  }
}

/**
 * Reads a PROXY header off `channel` (paused, and paused again when this settles): the header and the bytes after
 * it; undefined if the peer left first (a balancer's plain TCP check); MSG_PROXY_HEADER_INVALID or, after `timeoutMs`,
 * MSG_PROXY_HEADER_TIMEOUT.
 */
export function readProxyHeader(
  channel: Channel,
  loop: Loop,
  timeoutMs: number,
): Promise<(ProxyHeader & { readonly rest: Uint8Array }) | undefined> {
  return new Promise((resolve, reject) => {
    const parser = new ProxyHeaderParser();
    const where = `the connection from ${formatAddress(channel.remote)}`;
    const address = 'host' in channel.remote ? channel.remote.host : undefined;
    const subscriptions: Subscription[] = [];
    const settle = (): void => {
      timer.cancel();
      channel.pause();
      for (const subscription of subscriptions) subscription.dispose();
    };
    const timer = loop.timer(timeoutMs, () => {
      settle();
      const message = `${where} sent no whole PROXY header within ${timeoutMs} ms`;
      reject(msgError('MSG_PROXY_HEADER_TIMEOUT', message, { data: { address } }));
    });
    subscriptions.push(
      channel.on('data', (chunk) => {
        let step: ReturnType<ProxyHeaderParser['push']>;
        try {
          step = parser.push(chunk);
        } catch (error) {
          settle();
          reject(msgError('MSG_PROXY_HEADER_INVALID', `${where}: ${(error as Error).message}`, { data: { address } }));
          return;
        }
        if (!step.done) return;
        settle();
        resolve(step);
      }),
      channel.on('close', () => {
        settle();
        resolve(undefined);
      }),
    );
    channel.resume();
  });
}
