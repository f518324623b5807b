import { join } from 'node:path';
import type { EventRpcServerStats } from '@rpc/server';
import { startChildServer, type ChildServer } from './child-server.js';

/** The load server's stats() with its process's memory (heap after a collection, RSS now and at its peak). */
export type LoadStats = Omit<EventRpcServerStats, 'perConnection'> & {
  readonly heapUsed: number;
  readonly rss: number;
  readonly peakRss: number;
};

export interface LoadServer extends ChildServer {
  /** The server's figures; with `collect`, the heap after a garbage collection. */
  stats(collect?: boolean): Promise<LoadStats>;
}

/** The fixtures folder: found from this file under jest (CommonJS); ES module callers pass it. */
const defaultFixtures = (): string => join(__dirname, '..', 'fixtures');

/**
 * An Event::RPC server in its own process (fixtures/load-server.mjs, from the built packages), with its defaults
 * but for `options`, so that its memory is its own: as many file descriptors as the system allows it.
 */
export async function startLoadServer(
  options: Record<string, unknown> = {},
  fixtures = defaultFixtures(),
): Promise<LoadServer> {
  const script = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';
  const child = await startChildServer(
    'sh',
    ['-c', script, process.execPath, '--expose-gc', join(fixtures, 'load-server.mjs'), JSON.stringify(options)],
    process.cwd(),
  );
  return {
    ...child,
    stats: async (collect = false) => JSON.parse(await child.ask(collect ? 'stats gc' : 'stats')) as LoadStats,
  };
}

/** `count` connections to `port` from another process, negotiated and idle; close() closes them and waits. */
export async function openIdleClients(port: number, count: number): Promise<{ opened: number } & AsyncDisposable> {
  const script = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';
  const child = await startChildServer(
    'sh',
    ['-c', script, process.execPath, join(defaultFixtures(), 'idle-clients.mjs'), String(port), String(count)],
    process.cwd(),
  );
  return {
    opened: child.port, // what it printed after READY: the connections it opened
    [Symbol.asyncDispose]: async () => {
      await child.ask('close');
      await child.close();
    },
  };
}
