import type { Address, Endpoint, Listener, Loop, ReadableSource, Subscription } from '@rpc/loop';
import { rpcError } from '@rpc/core';
import { Connection, connect, defaultLoop, type MsgOptions } from '@rpc/msg';
import { ConnectionGate } from '@rpc/msg';

/** A listening socket of the multiplexer; whoever asked for it owns the connections it accepts. */
export interface MuxListener extends AsyncDisposable {
  /** Where it listens; a TCP port asked as 0 is the one picked. */
  readonly address: Address;
  /** Stops listening; the connections it accepted stay open. */
  close(): Promise<void>;
}

/**
 * What the multiplexer reports, one at a time, like IO::EventMux's events:
 * a connection accepted by one of its listeners, a message on a
 * connection, a connection closed, or input from a watched source.
 */
export type MuxEvent =
  | {
      /** A listener accepted a connection. */
      readonly type: 'accepted';
      /** The listener that accepted it. */
      readonly listener: MuxListener;
      /** The new connection, whose messages follow as `message` events. */
      readonly connection: Connection;
    }
  | {
      /** A whole message arrived on a connection. */
      readonly type: 'message';
      /** The connection it came on. */
      readonly connection: Connection;
      /** The message's bytes, without the framing. */
      readonly message: Uint8Array;
    }
  | {
      /** A connection closed. */
      readonly type: 'closed';
      /** The connection that closed. */
      readonly connection: Connection;
      /** Why it closed; undefined for a clean end. */
      readonly error: Error | undefined;
    }
  | {
      /** A watched source had data. */
      readonly type: 'read';
      /** The source, as given to watch(). */
      readonly source: ReadableSource;
      /** The chunk read. */
      readonly data: Uint8Array;
    }
  | {
      /** A watched source ended; nothing more comes from it. */
      readonly type: 'end';
      /** The source, as given to watch(). */
      readonly source: ReadableSource;
      /** Why it ended; undefined for a clean end. */
      readonly error: Error | undefined;
    };

/** Keeps the events that are its own and passes the rest on, as `$rpc->io($event) or next`. */
export type EventHandler = (event: MuxEvent) => MuxEvent | undefined;

/** The connection options of every connection the multiplexer makes or accepts, and the size of its event queue. */
export interface MultiplexerOptions extends MsgOptions {
  /**
   * Events held before connections stop being read (default 1024): a loop that falls behind slows its peers down.
   * Past it, each connection still adds the message it has in hand, and its accepted and closed events.
   */
  readonly maxQueuedEvents?: number;
}

/** A listener's own: the connection options of its connections, and the limits they share. */
export interface MuxListenOptions extends MsgOptions {
  /** Limits the connections it accepts, alone or with other listeners (default: a gate of its own, msg's limits). */
  readonly gate?: ConnectionGate;
}

interface Waiter {
  resolve(result: IteratorResult<MuxEvent>): void;
}

/**
 * One event source for any number of RPC::Async servers and other inputs:
 * its listeners, connections (Msg framing) and watched streams report
 * events into one queue, read with next() or `for await`. Nothing is
 * handled here: the program's loop takes each event and hands it along a
 * chain of servers, each keeping what is its own. Connections are read only
 * while the queue has room, so a busy program slows its clients down
 * instead of growing memory.
 */
export class Multiplexer implements AsyncIterable<MuxEvent>, AsyncDisposable {
  /** The event loop its sockets and timers run on (the `loop` option, or `@rpc/msg`'s default). */
  readonly loop: Loop;
  readonly #options: MultiplexerOptions;
  readonly #maxQueued: number;
  readonly #queue: MuxEvent[] = [];
  readonly #waiters: Waiter[] = [];
  readonly #listeners = new Set<Listener>();
  readonly #connections = new Set<Connection>();
  readonly #subscriptions = new Set<Subscription>();
  /** Message events in the queue, by connection (a server's calls waiting for io()). */
  readonly #queuedBy = new Map<Connection, number>();
  /** Pumps waiting for room in the queue. */
  #roomWaiters: Array<() => void> = [];
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: MultiplexerOptions = {}) {
    this.#options = options;
    this.loop = options.loop ?? defaultLoop();
    const max = options.maxQueuedEvents ?? 1024;
    if (!Number.isInteger(max) || max <= 0)
      throw rpcError('RPC_INVALID_OPTION', `maxQueuedEvents must be a positive whole number, got ${max}`);
    this.#maxQueued = max;
  }

  /**
   * Listens at `endpoint`; each connection it accepts is reported as an `accepted` event. `options` set its
   * connections' limits (over the multiplexer's), and the gate that counts them.
   */
  async listen(endpoint: Endpoint, options: MuxListenOptions = {}): Promise<MuxListener> {
    this.#ensureOpen();
    const { gate = new ConnectionGate(), ...own } = options;
    const connectionOptions = { ...this.#options, ...own, loop: this.loop };
    let self: MuxListener | undefined;
    const listener = await this.loop.listen(endpoint, (channel) => {
      if (!gate.admit(channel)) return;
      let connection: Connection;
      try {
        connection = new Connection(channel, connectionOptions, undefined, gate.budget);
      } catch {
        gate.release(channel.remote);
        return channel.destroy(); // options out of range: refused, rather than thrown into the accept callback
      }
      gate.track(connection);
      // A Loop hands over no channel before listen() has resolved and the code below has run: `self` is set.
      this.#push({ type: 'accepted', listener: self as MuxListener, connection });
      this.#pump(connection);
    });
    this.#listeners.add(listener);
    const close = async (): Promise<void> => {
      this.#listeners.delete(listener);
      await listener.close();
    };
    self = { address: listener.address, close, [Symbol.asyncDispose]: close };
    return self;
  }

  /** Opens a connection whose messages arrive as events (a client driven by the same loop). */
  async connect(endpoint: Endpoint): Promise<Connection> {
    this.#ensureOpen();
    const connection = await connect(endpoint, undefined, { ...this.#options, loop: this.loop });
    this.#pump(connection);
    return connection;
  }

  /** Reports the chunks of another source (stdin, a pipe) as `read` events, then `end` (set_event_handler). */
  watch(source: ReadableSource): Subscription {
    this.#ensureOpen();
    const subscription = this.loop.watch(source, {
      read: (data) => this.#push({ type: 'read', source, data }),
      end: () => this.#push({ type: 'end', source, error: undefined }),
      error: (error) => this.#push({ type: 'end', source, error }),
    });
    this.#subscriptions.add(subscription);
    return subscription;
  }

  /** The next event ($mux->mux); resolves done once the multiplexer is closed and drained. */
  next(): Promise<IteratorResult<MuxEvent>> {
    const event = this.#queue.shift();
    if (event !== undefined) {
      if (event.type === 'message') this.#unqueued(event.connection);
      this.#makeRoom();
      return Promise.resolve({ value: event, done: false });
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#waiters.push({ resolve }));
  }

  /** The events, one by one, for `for await`; the iteration ends once the multiplexer is closed and drained. */
  [Symbol.asyncIterator](): AsyncIterator<MuxEvent> {
    return { next: () => this.next() };
  }

  /**
   * Runs the loop for you: every event goes along `handlers` in order until
   * one keeps it; what none keeps goes to `rest`. Resolves when the
   * multiplexer is closed.
   */
  async run(handlers: readonly EventHandler[], rest?: (event: MuxEvent) => void): Promise<void> {
    for await (const event of this) {
      let left: MuxEvent | undefined = event;
      for (const handler of handlers) if (left !== undefined) left = handler(left);
      if (left !== undefined) rest?.(left);
    }
  }

  /** Events waiting to be taken. */
  get queuedEvents(): number {
    return this.#queue.length;
  }

  /** Messages of `connection` waiting in the queue. */
  queuedFor(connection: Connection): number {
    return this.#queuedBy.get(connection) ?? 0;
  }

  /** Closes listeners, connections and watches; next() then drains what was queued and ends. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    for (const subscription of this.#subscriptions) subscription.dispose();
    await Promise.all([...this.#listeners].map((listener) => listener.close()));
    await Promise.all([...this.#connections].map((connection) => connection.close()));
    for (const wake of this.#roomWaiters.splice(0)) wake();
    if (this.#queue.length === 0)
      for (const waiter of this.#waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
  }

  /** close(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #ensureOpen(): void {
    if (this.#closed) throw rpcError('RPC_CLOSED', 'the multiplexer is closed');
  }

  #push(event: MuxEvent): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) return waiter.resolve({ value: event, done: false });
    this.#queue.push(event);
    if (event.type === 'message') this.#queuedBy.set(event.connection, this.queuedFor(event.connection) + 1);
  }

  #unqueued(connection: Connection): void {
    const left = this.queuedFor(connection) - 1;
    if (left > 0) this.#queuedBy.set(connection, left);
    else this.#queuedBy.delete(connection);
  }

  #makeRoom(): void {
    if (this.#queue.length < this.#maxQueued) for (const wake of this.#roomWaiters.splice(0)) wake();
  }

  /** Reads `connection` one message at a time, and only while the queue has room. */
  #pump(connection: Connection): void {
    this.#connections.add(connection);
    void (async () => {
      let error: Error | undefined;
      try {
        for (;;) {
          while (this.#queue.length >= this.#maxQueued && !this.#closed)
            await new Promise<void>((wake) => this.#roomWaiters.push(wake));
          const message = await connection.receive();
          if (message === undefined) break;
          this.#push({ type: 'message', connection, message });
        }
      } catch (failure) {
        error = failure as Error;
      }
      this.#connections.delete(connection);
      this.#push({ type: 'closed', connection, error });
    })();
  }
}
