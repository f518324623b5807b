import * as net from 'node:net';
import * as tls from 'node:tls';
import {
  type Channel,
  checkEndpoint,
  type ConnectOptions,
  type Endpoint,
  formatAddress,
  isUnixEndpoint,
  loopError,
  type RpcError,
} from '@rpc/loop';
import { connectError } from './errors.js';
import { NodeChannel } from './node-channel.js';

export async function connect(endpoint: Endpoint, options: ConnectOptions = {}): Promise<Channel> {
  checkEndpoint(endpoint);
  const { signal, connectTimeoutMs } = options;
  if (signal?.aborted)
    throw loopError('LOOP_ABORTED', `connect to ${formatAddress(endpoint)} aborted`, { cause: signal.reason });
  const secure = endpoint.tls !== undefined;
  const unixPath = isUnixEndpoint(endpoint) ? endpoint.path : undefined;
  const target =
    unixPath !== undefined
      ? { path: unixPath }
      : { host: (endpoint as { host?: string }).host ?? 'localhost', port: (endpoint as { port: number }).port };
  const socket = secure ? tls.connect({ ...(endpoint.tls as tls.ConnectionOptions), ...target }) : net.connect(target);

  return new Promise<Channel>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const settle = (error?: RpcError): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off(secure ? 'secureConnect' : 'connect', onReady);
      if (error === undefined) return resolve(new NodeChannel(socket, secure, unixPath));
      socket.destroy();
      reject(error);
    };
    // Once TCP is up, any failure before secureConnect belongs to the TLS handshake.
    const onError = (err: Error): void => settle(connectError(err, endpoint, secure && !socket.connecting));
    const onReady = (): void => settle();
    const onAbort = (): void =>
      settle(loopError('LOOP_ABORTED', `connect to ${formatAddress(endpoint)} aborted`, { cause: signal?.reason }));
    socket.once('error', onError);
    socket.once(secure ? 'secureConnect' : 'connect', onReady);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (connectTimeoutMs !== undefined) {
      timer = setTimeout(
        () =>
          settle(
            loopError(
              'LOOP_CONNECT_TIMEOUT',
              `connect to ${formatAddress(endpoint)} timed out after ${connectTimeoutMs} ms`,
            ),
          ),
        connectTimeoutMs,
      );
    }
  });
}
