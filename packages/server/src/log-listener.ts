import { formatAddress, type Channel, type Endpoint, type Listener, type Loop } from '@rpc/loop';

/** Unsent log bytes a client may fall behind by before it is disconnected, so a client that never reads costs bounded memory. */
const MAX_BACKLOG = 1024 * 1024;
const utf8 = new TextEncoder();

export interface LogListenerHost {
  log(level: number, message: string): void;
}

/**
 * Event::RPC's log listener: every client connected to it (with telnet or
 * nc, say) gets the server's log lines as text, until it disconnects.
 */
export class LogListener {
  readonly #listener: Listener;
  readonly #clients = new Set<Channel>();

  private constructor(listener: Listener) {
    this.#listener = listener;
  }

  static async start(loop: Loop, endpoint: Endpoint, host: LogListenerHost): Promise<LogListener> {
    let self: LogListener | undefined;
    const early: Channel[] = [];
    const listener = await loop.listen(endpoint, (channel) => (self ? self.#accept(channel, host) : early.push(channel)));
    self = new LogListener(listener);
    for (const channel of early) self.#accept(channel, host);
    return self;
  }

  get address(): Listener['address'] {
    return this.#listener.address;
  }

  /** Clients connected now (Event::RPC's log_clients_connected). */
  get clients(): number {
    return this.#clients.size;
  }

  /** Sends one line to every client. */
  write(line: string): void {
    if (this.#clients.size === 0) return;
    const bytes = utf8.encode(line);
    for (const channel of this.#clients) {
      if (channel.bufferedAmount > MAX_BACKLOG) channel.destroy();
      else channel.write(bytes);
    }
  }

  async close(): Promise<void> {
    await this.#listener.close();
    for (const channel of this.#clients) channel.close();
  }

  #accept(channel: Channel, host: LogListenerHost): void {
    this.#clients.add(channel);
    channel.on('data', () => undefined); // what a log client types is read and ignored
    channel.on('close', () => {
      this.#clients.delete(channel);
      host.log(2, `Log client ${formatAddress(channel.remote)} disconnected`);
    });
    host.log(2, `New log client ${formatAddress(channel.remote)} connected`);
  }
}
