import {
  acceptAfterListen,
  type Address,
  BaseChannel,
  type Channel,
  Emitter,
  type Endpoint,
  type FlushCallback,
  formatAddress,
  hostTurn,
  isUnixEndpoint,
  type Listener,
  type ListenerEvents,
  loopError,
} from '@rpc/loop';
import { asapScheduler, type SchedulerLike } from 'rxjs';
import type { Transport } from './rx-loop.js';

function keyOf(endpoint: Endpoint | Address): string {
  if (isUnixEndpoint(endpoint as Endpoint)) return `unix:${(endpoint as { path: string }).path}`;
  const { host, port } = endpoint as { host?: string; port: number };
  return `${host ?? '127.0.0.1'}:${port}`;
}

function joined(chunks: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const chunk of chunks) size += chunk.length;
  const copy = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    copy.set(chunk, at);
    at += chunk.length;
  }
  return copy;
}

/**
 * One end of an in-memory connection: what one side writes the other
 * receives, in order, when the scheduler runs it. Bytes in flight count as
 * buffered until then.
 */
class MemoryChannel extends BaseChannel {
  readonly secure = false;
  peer: MemoryChannel | undefined;
  readonly #scheduler: SchedulerLike;
  #inFlight = 0;

  constructor(
    readonly local: Address,
    readonly remote: Address,
    scheduler: SchedulerLike,
  ) {
    super({ defer: (task) => void scheduler.schedule(task) });
    this.#scheduler = scheduler;
  }

  get bufferedAmount(): number {
    return this.#inFlight;
  }

  protected transmit(chunks: readonly Uint8Array[], onFlushed: FlushCallback | undefined): boolean {
    const copy = joined(chunks); // the writer may reuse its buffers once write() returns
    this.#inFlight += copy.length;
    this.#scheduler.schedule(() => {
      this.#inFlight -= copy.length;
      this.peer?.received(copy);
      onFlushed?.();
      if (this.#inFlight === 0) this.drained();
    });
    return true;
  }

  /** Nothing to stop: what arrives meanwhile is held. */
  protected setReading(): void {}

  protected shutdown(): void {
    // After everything written so far: the peer sees the end, and both sides close cleanly.
    this.#scheduler.schedule(() => {
      this.peer?.ended();
      this.ended();
    });
  }

  protected abort(): void {
    this.peer?.ended(loopError('LOOP_CONNECTION_RESET', `connection to ${formatAddress(this.local)} reset`));
    this.ended();
  }
}

/**
 * An in-memory transport: listen and connect by address in one process,
 * every byte delivered by the scheduler. Under a virtual-time scheduler,
 * together with an RxLoop, a whole conversation runs in virtual time and
 * always the same way; no socket is opened.
 */
export class MemoryTransport implements Transport {
  readonly #scheduler: SchedulerLike;
  readonly #listeners = new Map<string, (channel: Channel) => void>();
  #nextPort = 40000;

  constructor(scheduler: SchedulerLike = asapScheduler) {
    this.#scheduler = scheduler;
  }

  listen(endpoint: Endpoint, onChannel: (channel: Channel) => void): Promise<Listener> {
    const turn = (task: () => void): void => hostTurn(() => void this.#scheduler.schedule(task));
    return acceptAfterListen(async (accept) => this.#bind(endpoint, accept), onChannel, turn);
  }

  async connect(endpoint: Endpoint): Promise<Channel> {
    const accept = this.#listeners.get(keyOf(endpoint));
    if (accept === undefined) {
      throw loopError('LOOP_CONNECTION_REFUSED', `connection to ${formatAddress(endpoint)} refused`);
    }
    const server: Address = isUnixEndpoint(endpoint)
      ? { path: endpoint.path }
      : { host: endpoint.host ?? '127.0.0.1', port: endpoint.port };
    const client: Address = isUnixEndpoint(endpoint) ? server : { host: '127.0.0.1', port: this.#nextPort++ };
    const mine = new MemoryChannel(client, server, this.#scheduler);
    const theirs = new MemoryChannel(server, client, this.#scheduler);
    mine.peer = theirs;
    theirs.peer = mine;
    this.#scheduler.schedule(() => accept(theirs));
    return mine;
  }

  #bind(endpoint: Endpoint, accept: (channel: Channel) => void): Listener {
    const address: Address = isUnixEndpoint(endpoint)
      ? { path: endpoint.path }
      : { host: endpoint.host ?? '127.0.0.1', port: endpoint.port === 0 ? this.#nextPort++ : endpoint.port };
    const key = keyOf(address);
    if (this.#listeners.has(key)) {
      throw loopError('LOOP_ADDRESS_IN_USE', `address ${formatAddress(address)} is already in use`);
    }
    this.#listeners.set(key, accept);
    const events = new Emitter<ListenerEvents>();
    const close = async (): Promise<void> => void this.#listeners.delete(key);
    return { address, close, on: (event, listener) => events.on(event, listener), [Symbol.asyncDispose]: close };
  }
}
