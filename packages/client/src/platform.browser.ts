// What the client takes from its platform, in browsers: WebSocket for the connection, no log unless given one, the browser's own trust store for TLS.
import type { Logger } from '@rpc/core';
import { loopError } from '@rpc/loop';
import { BrowserWsLoop } from '@rpc/loop-ws';

export const defaultLoop = new BrowserWsLoop();

export const defaultLogger: Logger | undefined = undefined;

export function loadCaCertificates(): Promise<string[]> {
  return Promise.reject(loopError('LOOP_UNSUPPORTED', 'browsers trust their own CAs: sslCaFile and sslCaPath cannot be read there'));
}
