// What the client takes from its platform, in browsers: no log unless given one, and the browser's own trust store for
// TLS.
import type { Logger } from '@rpc/core';
import { loopError } from '@rpc/loop';

export const defaultLogger: Logger | undefined = undefined;

export function loadCaCertificates(): Promise<string[]> {
  return Promise.reject(
    loopError('LOOP_UNSUPPORTED', 'browsers trust their own CAs: sslCaFile and sslCaPath cannot be read there'),
  );
}
