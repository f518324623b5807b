import { type Loop, loopError } from '@rpc/loop';

/** In browsers there is no loop to pick by default: the caller says which (BrowserWsLoop from @rpc/loop-ws). */
export function defaultLoop(): Loop {
  throw loopError('LOOP_UNSUPPORTED', 'browsers have no default loop: pass `loop` (new BrowserWsLoop() from @rpc/loop-ws)');
}
