import type { Channel, Endpoint } from '@rpc/loop';
import { MemoryTransport, RxLoop, runInVirtualTime } from '@rpc/loop-rxjs';
import { VirtualTimeScheduler } from 'rxjs';

/**
 * A loop whose time is virtual and whose bytes go through memory: a whole conversation runs the same way every time.
 */
export interface VirtualWorld {
  readonly loop: RxLoop;
  /** Runs `work` in virtual time; it may wait up to 10 real seconds on work outside the scheduler (crypto). */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** The server end of a new in-memory connection, and the client end. */
  pair(): Promise<{ server: Channel; client: Channel }>;
}

export function virtualWorld(): VirtualWorld {
  const scheduler = new VirtualTimeScheduler();
  const loop = new RxLoop({ scheduler, transport: new MemoryTransport(scheduler) });
  let port = 1;
  return {
    loop,
    run: (work) => runInVirtualTime(scheduler, work, { realWaitMs: 10_000 }),
    async pair() {
      const endpoint: Endpoint = { host: 'memory', port: port++ };
      let accept: (channel: Channel) => void = () => undefined;
      const accepted = new Promise<Channel>((resolve) => (accept = resolve));
      const listener = await loop.listen(endpoint, (channel) => accept(channel));
      const client = await loop.connect(endpoint);
      const server = await accepted; // the server end arrives on the scheduler
      await listener.close();
      return { server, client };
    },
  };
}
