import * as net from 'node:net';
import * as tls from 'node:tls';
import {
  acceptAfterListen,
  checkEndpoint,
  Emitter,
  hostTurn,
  isUnixEndpoint,
  type Address,
  type Channel,
  type Endpoint,
  type Listener,
  type ListenerEvents,
  type Subscription,
} from '@rpc/loop';
import { listenError, tlsClientError } from './errors.js';
import { NodeChannel } from './node-channel.js';

class NodeListener implements Listener {
  readonly address: Address;
  readonly #server: net.Server;
  readonly #events = new Emitter<ListenerEvents>();

  constructor(server: net.Server, endpoint: Endpoint) {
    this.#server = server;
    const bound = server.address();
    this.address =
      isUnixEndpoint(endpoint) || bound === null || typeof bound === 'string'
        ? { path: isUnixEndpoint(endpoint) ? endpoint.path : String(bound) }
        : { host: bound.address, port: bound.port };
    server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      // Node reports a handshake that failed or timed out but leaves the socket open: a client that never says
      // hello would hold it for ever.
      socket.destroy();
      this.#events.emit('error', tlsClientError(err, `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`));
    });
    server.on('error', (err) => this.#events.emit('error', listenError(err, endpoint)));
  }

  on<K extends keyof ListenerEvents>(event: K, listener: ListenerEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  /** Stops accepting at once; accepted channels are left to their owners. */
  close(): Promise<void> {
    if (this.#server.listening) this.#server.close();
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

export async function listen(endpoint: Endpoint, onChannel: (channel: Channel) => void): Promise<Listener> {
  checkEndpoint(endpoint);
  return acceptAfterListen((accept) => bind(endpoint, accept), onChannel, hostTurn);
}

async function bind(endpoint: Endpoint, accept: (channel: Channel) => void): Promise<Listener> {
  const secure = endpoint.tls !== undefined;
  const unixPath = isUnixEndpoint(endpoint) ? endpoint.path : undefined;
  const server = secure ? tls.createServer(endpoint.tls as tls.TlsOptions) : net.createServer();
  server.on(secure ? 'secureConnection' : 'connection', (socket: net.Socket) => {
    accept(new NodeChannel(socket, secure, unixPath));
  });
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error): void => reject(listenError(err, endpoint));
    server.once('error', fail);
    const target =
      unixPath !== undefined
        ? { path: unixPath }
        : { host: (endpoint as { host?: string }).host, port: (endpoint as { port: number }).port };
    server.listen(target, () => {
      server.off('error', fail);
      resolve();
    });
  });
  return new NodeListener(server, endpoint);
}
