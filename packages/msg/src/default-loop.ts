import type { Loop } from '@rpc/loop';
import { nodeLoop } from '@rpc/loop-node';

/**
 * The loop used when none is given, as Event::RPC picks the first loop
 * module it finds: Node's, here; BrowserWsLoop in browsers (the package's
 * `browser` field swaps in default-loop.browser.js). Every package takes its
 * default from here.
 */
export function defaultLoop(): Loop {
  return nodeLoop;
}
