import type { ReadableSource, Subscription, WatchHandlers } from '@rpc/loop';

/**
 * Delivers a readable source's chunks to `handlers` until disposed. Disposing
 * pauses the source rather than destroying it, so that stdin, say, can be
 * watched again later without losing data.
 */
export function watch(source: ReadableSource, handlers: WatchHandlers): Subscription {
  const onData = (chunk: Uint8Array | string): void => handlers.read(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const onEnd = (): void => {
    stop();
    handlers.end?.();
  };
  const onError = (error: Error): void => {
    stop();
    handlers.error?.(error);
  };
  let active = true;
  function stop(): void {
    if (!active) return;
    active = false;
    source.off('data', onData);
    source.off('end', onEnd);
    source.off('error', onError);
    source.pause?.();
  }
  source.on('data', onData);
  source.on('end', onEnd);
  source.on('error', onError);
  source.resume?.();
  return { dispose: stop, [Symbol.dispose]: stop };
}
