import type { Loop } from '@rpc/loop';
import { BrowserWsLoop } from '@rpc/loop-ws';

let shared: Loop | undefined;

/**
 * The loop used when none is given, in browsers: WebSocket to the page's host, path `/` (pass `loop` for another path).
 */
export function defaultLoop(): Loop {
  return (shared ??= new BrowserWsLoop());
}
