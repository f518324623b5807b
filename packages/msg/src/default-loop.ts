import type { Loop } from '@rpc/loop';
import { nodeLoop } from '@rpc/loop-node';

/** The loop used when none is given, as Event::RPC picks the first loop module it finds. */
export function defaultLoop(): Loop {
  return nodeLoop;
}
