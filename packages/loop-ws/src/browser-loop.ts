import {
  type Channel,
  checkEndpoint,
  type ConnectOptions,
  type Endpoint,
  formatAddress,
  HostLoop,
  isUnixEndpoint,
  type Listener,
  type Loop,
  loopError,
  type Subscription,
  TransportError,
  type WatchHandlers,
  type WatchSource,
} from '@rpc/loop';
import { WsChannel, type WebSocketLike } from './ws-channel.js';

/** The WebSocket URL a {@link BrowserWsLoop} connects to, besides the endpoint's host and port. */
export interface BrowserWsLoopOptions {
  /** The URL path of the WebSocket endpoint (default `/`). */
  readonly path?: string;
  /** Use `wss://` (default: when the page itself came over https). */
  readonly secure?: boolean;
}

/**
 * The Loop in browsers: timers on setTimeout, deferred tasks as
 * microtasks (after the current event's handlers), and channels over the
 * built-in WebSocket. Browsers cannot listen, nor read other sources.
 */
export class BrowserWsLoop extends HostLoop implements Loop {
  /** The URL path it connects to. */
  readonly path: string;
  readonly #secure: boolean | undefined;

  constructor(options: BrowserWsLoopOptions = {}) {
    super();
    this.path = options.path ?? '/';
    this.#secure = options.secure;
  }

  /** After the handlers of the current event (a microtask). */
  defer(task: () => void): void {
    queueMicrotask(task);
  }

  listen(): Promise<Listener> {
    return Promise.reject(loopError('LOOP_UNSUPPORTED', 'a browser cannot listen'));
  }

  watch(_source: WatchSource, _handlers: WatchHandlers): Subscription {
    throw loopError('LOOP_UNSUPPORTED', 'a browser loop watches no sources');
  }

  async connect(endpoint: Endpoint, options: ConnectOptions = {}): Promise<Channel> {
    if (isUnixEndpoint(endpoint)) throw loopError('LOOP_UNSUPPORTED', 'WebSocket connects to host and port');
    checkEndpoint(endpoint);
    const page = (globalThis as { location?: { protocol?: string; hostname?: string } }).location;
    const secure = this.#secure ?? (endpoint.tls !== undefined || page?.protocol === 'https:');
    const host = endpoint.host ?? page?.hostname ?? 'localhost';
    const url = `${secure ? 'wss' : 'ws'}://${host.includes(':') ? `[${host}]` : host}:${endpoint.port}${this.path}`;
    const ws = new WebSocket(url);
    const channel = new WsChannel(ws as unknown as WebSocketLike, {
      addresses: () => ({ local: { host: '', port: 0 }, remote: { host, port: endpoint.port } }),
      secure,
      poll: (task) => void setTimeout(task, 10),
    });
    await new Promise<void>((resolve, reject) => {
      const timer =
        options.connectTimeoutMs === undefined
          ? undefined
          : setTimeout(() => fail('LOOP_CONNECT_TIMEOUT', 'timed out'), options.connectTimeoutMs);
      const fail = (code: 'LOOP_CONNECT_FAILED' | 'LOOP_CONNECT_TIMEOUT' | 'LOOP_ABORTED', why: string): void => {
        clearTimeout(timer);
        ws.close();
        reject(new TransportError(code, `connect to ${formatAddress(endpoint)} ${why}`));
      };
      options.signal?.addEventListener('abort', () => fail('LOOP_ABORTED', 'aborted'), { once: true });
      ws.addEventListener(
        'open',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
      // Browsers do not say why a WebSocket failed (refused, TLS, ...), by design.
      ws.addEventListener('error', () => fail('LOOP_CONNECT_FAILED', 'failed'), { once: true });
    });
    return channel;
  }
}
