import {
  HostLoop,
  watchSource,
  type Channel,
  type ConnectOptions,
  type Endpoint,
  type Listener,
  type Loop,
  type Subscription,
  type WatchHandlers,
  type WatchSource,
} from '@rpc/loop';
import { connect } from './connect.js';
import { listen } from './listen.js';

/** The Loop over Node's own event loop: node:net, node:tls, timers and setImmediate. */
export class NodeLoop extends HostLoop implements Loop {
  constructor() {
    // A pending promise does not keep Node running; a referenced interval does.
    super(() => {
      const keepAlive = setInterval(() => undefined, 0x7fffffff);
      return () => clearInterval(keepAlive);
    });
  }

  /** After the I/O callbacks of this turn (setImmediate). */
  defer(task: () => void): void {
    setImmediate(task);
  }

  listen(endpoint: Endpoint, onChannel: (channel: Channel) => void): Promise<Listener> {
    return listen(endpoint, onChannel);
  }

  connect(endpoint: Endpoint, options?: ConnectOptions): Promise<Channel> {
    return connect(endpoint, options);
  }

  /** A write handler runs once per deferred turn: setImmediate, so Node polls for I/O between calls. */
  watch(source: WatchSource, handlers: WatchHandlers): Subscription {
    return watchSource(source, handlers, { turn: (task) => this.defer(task) });
  }
}

/** The shared Node loop, used wherever no `loop` option is given. */
export const nodeLoop: Loop = new NodeLoop();
