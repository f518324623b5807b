import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type * as tls from 'node:tls';
import {
  acceptAfterListen,
  type Channel,
  checkEndpoint,
  type ConnectOptions,
  Emitter,
  type Endpoint,
  formatAddress,
  hostTurn,
  isUnixEndpoint,
  type Listener,
  type ListenerEvents,
  type Loop,
  loopError,
  type RpcError,
  TransportLoop,
} from '@rpc/loop';
import { connectError, listenError, nodeLoop } from '@rpc/loop-node';
import { loadWs, type WsModule } from './load-ws.js';
import { WsChannel, type WebSocketLike } from './ws-channel.js';

/** Where a {@link WsLoop} serves and finds WebSocket endpoints, and what runs everything else. */
export interface WsLoopOptions {
  /** The URL path of the WebSocket endpoint (default `/`). */
  readonly path?: string;
  /**
   * Listen on this existing HTTP(S) server (under `path`) instead of opening
   * a port; the endpoint's host and port are then ignored.
   */
  readonly server?: http.Server | https.Server;
  /** Timers, deferred tasks and watched sources (default the Node loop). */
  readonly base?: Loop;
}

type SocketAddresses = 'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort';

/** A message larger than any endpoint allows would be refused by ws's own default; ours follows maxMessageSize. */
const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;

/**
 * The Loop over WebSocket in Node (the `ws` package): the same Channels as
 * the Node loop, one RPC message per WebSocket message. A server listens on
 * its own port (TLS: wss) or on an existing http.Server under a path;
 * maxPayload follows the caller's maxPacketSize (the endpoint's
 * maxMessageSize), so an oversize message is refused before it is read.
 */
export class WsLoop extends TransportLoop {
  /** The URL path it listens and connects on. */
  readonly path: string;
  readonly #server: http.Server | https.Server | undefined;

  constructor(options: WsLoopOptions = {}) {
    super(options.base ?? nodeLoop);
    this.path = options.path ?? '/';
    this.#server = options.server;
  }

  /** Channels accepted before listen() has resolved come a host turn later. */
  async listen(endpoint: Endpoint, onChannel: (channel: Channel) => void): Promise<Listener> {
    if (isUnixEndpoint(endpoint) && this.#server === undefined) {
      throw loopError('LOOP_UNSUPPORTED', 'WebSocket listens on TCP ports or on a given http.Server');
    }
    checkEndpoint(endpoint);
    const ws = await loadWs();
    return acceptAfterListen((accept) => this.#bind(ws, endpoint, accept), onChannel, hostTurn);
  }

  async #bind(ws: WsModule, endpoint: Endpoint, accept: (channel: Channel) => void): Promise<Listener> {
    const secure = this.#server instanceof https.Server || endpoint.tls !== undefined;
    const owned = this.#server === undefined;
    const server =
      this.#server ?? (endpoint.tls ? https.createServer(endpoint.tls as https.ServerOptions) : http.createServer());
    if (owned) {
      server.on('request', (_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket only\n'));
      const { host, port } = endpoint as { host?: string; port: number };
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err) => reject(listenError(err, endpoint)));
        server.listen({ host, port }, () => resolve());
      });
    }
    const events = new Emitter<ListenerEvents>();
    const maxPayload = endpoint.maxMessageSize ?? DEFAULT_MAX_PAYLOAD;
    const wss = new ws.WebSocketServer({ server, path: this.path, maxPayload });
    wss.on('connection', (socket, request) => {
      const tcp = request.socket;
      accept(
        new WsChannel(socket as unknown as WebSocketLike, {
          addresses: () => ({
            local: { host: tcp.localAddress ?? '', port: tcp.localPort ?? 0 },
            remote: { host: tcp.remoteAddress ?? '', port: tcp.remotePort ?? 0 },
          }),
          secure,
          poll: (task) => void this.base.timer(10, task),
        }),
      );
    });
    wss.on('error', (err) => events.emit('error', listenError(err, endpoint)));
    const bound = server.address() as AddressInfo;
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      wss.close();
      if (owned) server.close();
    };
    return {
      address: { host: bound.address, port: bound.port },
      close,
      on: (event, listener) => events.on(event, listener),
      [Symbol.asyncDispose]: close,
    };
  }

  /** Opens a WebSocket to `endpoint` (`ws://`, or `wss://` with `tls`); resolves once it is open. */
  async connect(endpoint: Endpoint, options: ConnectOptions = {}): Promise<Channel> {
    if (isUnixEndpoint(endpoint)) throw loopError('LOOP_UNSUPPORTED', 'WebSocket connects to host and port');
    checkEndpoint(endpoint);
    const secure = endpoint.tls !== undefined;
    const host = endpoint.host ?? 'localhost';
    const url = `${secure ? 'wss' : 'ws'}://${host.includes(':') ? `[${host}]` : host}:${endpoint.port}${this.path}`;
    const { WebSocket } = await loadWs();
    if (options.signal?.aborted) throw loopError('LOOP_ABORTED', `connect to ${formatAddress(endpoint)} aborted`);
    const ws = new WebSocket(url, {
      ...(endpoint.tls as tls.ConnectionOptions | undefined),
      maxPayload: endpoint.maxMessageSize ?? DEFAULT_MAX_PAYLOAD,
      ...(options.connectTimeoutMs === undefined ? {} : { handshakeTimeout: options.connectTimeoutMs }),
    });
    const channel = new WsChannel(ws as unknown as WebSocketLike, {
      addresses: () => {
        const socket = (ws as unknown as { _socket?: Partial<Pick<Socket, SocketAddresses>> })._socket;
        return {
          local: { host: socket?.localAddress ?? '', port: socket?.localPort ?? 0 },
          remote: { host: socket?.remoteAddress ?? host, port: socket?.remotePort ?? endpoint.port },
        };
      },
      secure,
      poll: (task) => void this.base.timer(10, task),
    });
    await new Promise<void>((resolve, reject) => {
      const fail = (error: RpcError): void => {
        options.signal?.removeEventListener('abort', abort);
        ws.terminate();
        reject(error);
      };
      const abort = (): void => fail(loopError('LOOP_ABORTED', `connect to ${formatAddress(endpoint)} aborted`));
      options.signal?.addEventListener('abort', abort, { once: true });
      ws.once('open', () => {
        options.signal?.removeEventListener('abort', abort);
        resolve();
      });
      ws.once('error', (err: Error & { code?: string }) => {
        if (!err.message.includes('timed out')) return fail(connectError(err, endpoint, secure));
        fail(loopError('LOOP_CONNECT_TIMEOUT', `connect to ${formatAddress(endpoint)} timed out`, { cause: err }));
      });
      ws.once('unexpected-response', (_req, res) => {
        fail(loopError('LOOP_CONNECT_FAILED', `${url} answered HTTP ${res.statusCode} instead of a WebSocket`));
      });
    });
    channel.local; // the addresses are known now that the socket is open
    return channel;
  }
}
