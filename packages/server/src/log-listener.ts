import { formatAddress, type Channel, type Endpoint, type Listener, type Loop } from '@rpc/loop';
import { rpcError } from '@rpc/core';

/**
 * Unsent log bytes a client may fall behind by before it is disconnected, so a client that never reads costs bounded
 * memory.
 */
const MAX_BACKLOG = 1024 * 1024;
/** The longest login line accepted. */
const MAX_LOGIN = 1024;
/** Log clients at once, logged in or not: more are closed at once. */
const MAX_CLIENTS = 64;
/** How long a log client may take to send its login line (typed by hand in telnet, perhaps). */
const LOGIN_TIMEOUT_MS = 30_000;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

const LOOPBACK = /^(127\.|::1$|localhost$)/;

/** What is wrong with a log listener bound to `host` (undefined: all interfaces), or undefined if nothing is. */
export function logListenerExposure(host: string | undefined, ssl: boolean, login: boolean): string | undefined {
  if ((ssl && login) || LOOPBACK.test(host ?? '')) return undefined;
  const missing = ssl ? 'without login' : login ? 'without TLS' : 'without TLS or login';
  const who = login ? 'listens on the network' : 'connects';
  return `is reachable beyond this machine ${missing}: anyone who ${who} reads the log`;
}

export interface LogListenerHost {
  log(level: number, message: string): void;
}

/** Checks a log client's `AUTH <user> <password>` line; `address` is the client's IP, for the login limits. */
export type LogLogin = (user: string, password: string, address: string | undefined) => Promise<boolean>;

/**
 * Event::RPC's log listener: every client connected to it (with telnet, nc
 * or `openssl s_client`) gets the server's log lines as text, until it
 * disconnects. With `login`, a client first sends `AUTH <user> <password>`
 * on one line and hears nothing before it is accepted; one wrong line ends
 * its connection.
 */
export class LogListener implements AsyncDisposable {
  readonly #loop: Loop;
  readonly #endpoint: Endpoint;
  readonly #host: LogListenerHost;
  readonly #login: LogLogin | undefined;
  /** Clients that receive the log. */
  readonly #clients = new Set<Channel>();
  /** Every client connected, logged in or not. */
  readonly #open = new Set<Channel>();
  #listener: Listener | undefined;
  #starting: Promise<Listener> | undefined;
  #closing: Promise<void> | undefined;

  constructor(loop: Loop, endpoint: Endpoint, host: LogListenerHost, login?: LogLogin) {
    this.#loop = loop;
    this.#endpoint = endpoint;
    this.#host = host;
    this.#login = login;
  }

  /** Listens; resolves once log clients can connect. */
  start(): Promise<this> {
    if (this.#closing) return Promise.reject(rpcError('RPC_CLOSED', 'the log listener was closed; make a new one'));
    this.#starting ??= this.#loop
      .listen(this.#endpoint, (channel) => this.#accept(channel, this.#host, this.#login))
      .then((listener) => (this.#listener = listener));
    return this.#starting.then(() => this);
  }

  /** The bound address, once started. */
  get address(): Listener['address'] | undefined {
    return this.#listener?.address;
  }

  /** Clients receiving the log now (Event::RPC's log_clients_connected). */
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

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await this.#starting?.catch(() => undefined);
    await this.#listener?.close();
    for (const channel of this.#open) channel.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #accept(channel: Channel, host: LogListenerHost, login: LogLogin | undefined): void {
    const peer = formatAddress(channel.remote);
    if (this.#open.size >= MAX_CLIENTS) {
      host.log(1, `Log client ${peer} refused: ${MAX_CLIENTS} log clients are connected`);
      return channel.destroy();
    }
    this.#open.add(channel);
    const admit = (): void => {
      this.#clients.add(channel);
      host.log(2, `New log client ${peer} connected`);
    };
    channel.on('close', () => {
      this.#open.delete(channel);
      if (this.#clients.delete(channel)) host.log(2, `Log client ${peer} disconnected`);
    });
    if (login === undefined) {
      channel.on('data', () => undefined); // what a log client types is read and ignored
      return admit();
    }
    let typed = '';
    let checking = false;
    const clock = this.#loop.timer(LOGIN_TIMEOUT_MS, () => {
      if (checking) return;
      host.log(1, `Log client ${peer}: no login within ${LOGIN_TIMEOUT_MS / 1000} s`);
      channel.destroy();
    });
    channel.on('close', () => clock.cancel());
    channel.on('data', (chunk) => {
      if (checking || this.#clients.has(channel)) return;
      typed += fromUtf8.decode(chunk);
      const end = typed.indexOf('\n');
      if (end < 0) {
        if (typed.length > MAX_LOGIN) channel.destroy();
        return;
      }
      checking = true;
      clock.cancel();
      const address = 'host' in channel.remote ? channel.remote.host : undefined;
      const match = /^AUTH (\S+) (.*?)\r?$/.exec(typed.slice(0, end));
      const checked = match
        ? login(match[1] as string, match[2] as string, address).catch(() => false)
        : Promise.resolve(false);
      void checked.then((ok) => {
        if (!ok) {
          host.log(1, `Log client ${peer}: illegal credentials`);
          channel.write(utf8.encode('Illegal credentials\n'));
          return channel.close();
        }
        channel.write(utf8.encode('OK\n'));
        admit();
      });
    });
  }
}
