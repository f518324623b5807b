import { loopError } from '@rpc/loop';
import { Interrupted } from './errors.js';
import type { CliIo, LineReader } from './io.js';

/** What every command gets from {@link run}: its I/O, and stdin's lines (opened on first use). */
export interface Context {
  readonly io: CliIo;
  /** stdin as lines, shared by the password and the call lines of a session. */
  lines(): LineReader;
}

/**
 * Waits for `connecting` (a connection being made: TCP, TLS, negotiation, login) for at most `timeoutMs` and until
 * the run's signal aborts; either way `abandon` closes what was begun, and the wait fails with LOOP_CONNECT_TIMEOUT
 * or Interrupted. `connectTimeoutMs` alone bounds only the TCP connect, not a server that then says nothing.
 */
export async function connecting<T>(
  connecting: Promise<T>,
  abandon: () => unknown,
  timeoutMs: number | undefined,
  io: CliIo,
  where: string,
): Promise<T> {
  connecting.catch(() => undefined); // once abandoned, its failure is no news
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_resolve, reject) => {
    if (timeoutMs !== undefined)
      timer = setTimeout(() => {
        abandon();
        reject(loopError('LOOP_CONNECT_TIMEOUT', `no connection to ${where} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
    onAbort = () => {
      abandon();
      reject(new Interrupted('interrupted'));
    };
    if (io.signal?.aborted) onAbort();
    else io.signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([connecting, stopped]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) io.signal?.removeEventListener('abort', onAbort);
  }
}

/** Calls `close` when the run's signal aborts, until the returned function is called. */
export function closeOnAbort(io: CliIo, close: () => unknown): () => void {
  const signal = io.signal;
  if (signal === undefined) return () => undefined;
  const onAbort = (): void => void close();
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
