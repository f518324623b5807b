// What the client takes from its platform, in browsers: WebSocket for the connection; the browser's own trust store for TLS.
import { UsageError } from '@rpc/loop';
import { BrowserWsLoop } from '@rpc/loop-ws';

export const defaultLoop = new BrowserWsLoop();

export function loadCaCertificates(): Promise<string[]> {
  return Promise.reject(new UsageError('LOOP_UNSUPPORTED', 'browsers trust their own CAs: sslCaFile and sslCaPath cannot be read there'));
}
