import { Emitter, type Address, type Channel, type Subscription } from '@rpc/loop';
import type { ByteBudget } from './byte-budget.js';
import { msgError } from './errors.js';
import { checkMaxPacketSize } from './frame.js';
import { messagePerChunk, type MessageDecoder } from './framing.js';
import { handlesOf, type LoopHandles } from './handles.js';
import { Outbox } from './outbox.js';
import { resolveOptions, type MsgOptions, type ResolvedOptions } from './options.js';
import { Watchdog } from './watchdog.js';

/** A message as sent: bytes, or text sent as UTF-8. */
export type Message = Uint8Array | string;

/**
 * Called with each message of a connection, and once more with `msg`
 * undefined when the connection has closed (`error` says why, unless it
 * closed cleanly). A handler that throws closes its connection only.
 */
export type MessageHandler = (conn: Connection, msg: Uint8Array | undefined, error?: Error) => void;

/** The events of a {@link Connection}, each with its listener. */
export interface ConnectionEvents {
  /** The connection has closed, once; `error` says why unless it closed cleanly. */
  disconnect: (error?: Error) => void;
  /** A handler threw while being told of the close: there is no connection left to close, so it is reported here. */
  error: (error: Error) => void;
}

/** What one connection has done and holds, for a server's stats(). Times are milliseconds since the epoch. */
export interface ConnectionStats {
  /** When the connection was made. */
  readonly connectedAt: number;
  /** The last byte either way. */
  readonly lastActivityAt: number;
  /** Bytes received, frame headers included. */
  readonly bytesIn: number;
  /** Bytes sent, frame headers included. */
  readonly bytesOut: number;
  /** Messages received. */
  readonly messagesIn: number;
  /** Messages sent. */
  readonly messagesOut: number;
  /** Bytes queued and not yet handed to the operating system (the send queue and the channel's buffer). */
  readonly queuedBytes: number;
  /** Bytes held for a message not yet complete. */
  readonly partialBytes: number;
}

interface Waiter {
  resolve(msg: Uint8Array | undefined): void;
  reject(error: Error): void;
}

/** Bytes written per turn before yielding to other connections; the most held back while a chunk is handled. */
const BATCH_BYTES = 256 * 1024;
const utf8 = new TextEncoder();
/** What holding one received message costs beyond its bytes (the view and the slot), for receiveBufferBytes. */
const MESSAGE_COST = 64;
const EMPTY = new Uint8Array(0);

/**
 * One end of a framed message connection: the Msg toolkit's connection
 * object. Either side may send at any time (peer to peer).
 *
 * Messages handed to sendNow/sendLater belong to the connection until
 * written: do not modify a buffer after passing it in.
 */
export class Connection implements AsyncDisposable {
  readonly #channel: Channel;
  readonly #options: ResolvedOptions;
  readonly #decoder: MessageDecoder;
  readonly #outbox: Outbox;
  readonly #events = new Emitter<ConnectionEvents>();
  readonly #waiters: Waiter[] = [];
  /** The loop's registered handles: this connection is one while it has a handler (eventLoop). */
  readonly #handles: LoopHandles;
  /** The server's memory for queued and partial messages, shared by its connections. */
  readonly #budget: ByteBudget | undefined;
  /** The peer left a send queue past half full unread: closes the connection unless it reads on. */
  #stall: Watchdog | undefined;
  /** A message begun and not yet complete. */
  #slowMessage: Watchdog | undefined;
  readonly #idle: Watchdog | undefined;
  #handler: MessageHandler | undefined;
  /** Messages received and not yet taken, from #inboxHead on (an index, since shift() is slow on long arrays). */
  #inbox: Uint8Array[] = [];
  #inboxHead = 0;
  /** What the inbox holds, counting MESSAGE_COST for each message so that empty ones count too. */
  #inboxBytes = 0;
  #inboxFull = false;
  #flushScheduled = false;
  /** Inside the channel's data callback: sendLater() leaves the flush to the end of it. */
  #reading = false;
  #awaitingDrain = false;
  /** Our queue is past half of maxQueueBytes: reading pauses, so that the peer sends no more work. */
  #sendBlocked = false;
  /** Partial-message bytes charged to the budget. */
  #partial = 0;
  /** Bytes in the channel charged to the budget while it refuses more. */
  #channelHeld = 0;
  readonly #connectedAt = Date.now();
  #lastActivityAt = this.#connectedAt;
  #bytesIn = 0;
  #bytesOut = 0;
  #messagesIn = 0;
  #messagesOut = 0;
  /** close() or destroy() was called: no more sending. */
  #closing = false;
  /** destroy() was called: messages still being decoded are dropped. */
  #discarding = false;
  #closed = false;
  #error: Error | undefined;
  /** Made when first asked for: an idle connection holds as little as it can (a server keeps thousands). */
  #done: Promise<void> | undefined;

  /**
   * Frames any Channel; `connect()` and `MsgServer` make these for you.
   * `budget` is MsgServer's: the memory its connections share.
   */
  constructor(channel: Channel, options?: MsgOptions, onMessage?: MessageHandler, budget?: ByteBudget) {
    this.#channel = channel;
    this.#options = resolveOptions(options);
    this.#budget = budget;
    const { loop, idleTimeoutMs } = this.#options;
    if (idleTimeoutMs > 0) {
      this.#idle = new Watchdog(loop, idleTimeoutMs, () => {
        this.#error ??= msgError('MSG_IDLE_TIMEOUT', `nothing either way for ${idleTimeoutMs} ms`);
        void this.close();
      });
      this.#idle.start();
    }
    this.#handles = handlesOf(loop);
    this.#handler = onMessage;
    if (onMessage !== undefined) this.#handles.register(this);
    // A channel that keeps message boundaries (WebSocket) frames the messages itself.
    const framing = channel.messageBoundaries ? messagePerChunk : this.#options.framing;
    this.#decoder = framing.decoder((payload) => this.#deliver(payload), this.#options.maxPacketSize, budget);
    this.#outbox = new Outbox(framing, budget);
    channel.on('drain', () => {
      this.#stall?.touch();
      this.#setAwaitingDrain(false);
      this.#flush();
      if (this.#sendBlocked) this.#checkBacklog();
    });
    channel.on('close', (error) => this.#onClose(error));
    // A chunk of a byte stream holds many messages: what the handlers queue in answer leaves as soon as the
    // chunk is handled, as a hand-written server would answer. A message-keeping channel (WebSocket) hands
    // over one message per chunk, many in one turn: their answers wait for the end of the turn instead.
    const answerPerChunk = !channel.messageBoundaries;
    channel.on('data', (chunk) => {
      this.#bytesIn += chunk.length;
      this.#lastActivityAt = Date.now();
      this.#idle?.touch();
      const messages = this.#messagesIn;
      this.#reading = answerPerChunk;
      try {
        this.#decoder.push(chunk);
      } catch (error) {
        this.destroy(error as Error);
      } finally {
        this.#reading = false;
      }
      if (this.#decoder.bufferedBytes !== this.#partial || messages !== this.#messagesIn)
        this.#partialChanged(messages);
      if (answerPerChunk && this.#outbox.length > 0 && !this.#closing) this.#flush();
    });
  }

  /**
   * What to call with each message; when none is set, messages wait for
   * receive(). With one, the connection is a handle of its loop's
   * eventLoop() until it closes or the handler is removed.
   */
  get onMessage(): MessageHandler | undefined {
    return this.#handler;
  }

  /** Setting a handler hands it the messages that were waiting, in order. */
  set onMessage(handler: MessageHandler | undefined) {
    this.#handler = handler;
    if (handler === undefined) this.#handles.deregister(this);
    else if (!this.#closed) this.#handles.register(this);
    while (
      this.#handler === handler &&
      handler !== undefined &&
      this.#inboxHead < this.#inbox.length &&
      !this.#discarding
    ) {
      this.#dispatch(handler, this.#takeFromInbox());
    }
  }

  /** The peer's address. */
  get remote(): Address {
    return this.#channel.remote;
  }

  /** This end's address. */
  get local(): Address {
    return this.#channel.local;
  }

  /** Whether the connection runs over TLS. */
  get secure(): boolean {
    return this.#channel.secure;
  }

  /**
   * The largest message either way. May be changed at any time, as Event::RPC's set_max_packet_size: applies from the
   * next message.
   */
  get maxPacketSize(): number {
    return this.#decoder.maxMessageSize;
  }

  /** Sets the limit: a whole number of bytes from 0 to 4 GiB − 1, else MSG_INVALID_OPTION. */
  set maxPacketSize(value: number) {
    this.#decoder.maxMessageSize = checkMaxPacketSize(value);
  }

  /** Frame bytes queued by sendLater() and not yet handed to the channel. */
  get queuedBytes(): number {
    return this.#outbox.bytes;
  }

  /** Messages queued by sendLater() and not yet handed to the channel. */
  get queuedMessages(): number {
    return this.#outbox.length;
  }

  /** Bytes handed to the channel and not yet to the operating system. */
  get bufferedBytes(): number {
    return this.#channel.bufferedAmount;
  }

  /** What the connection has done and holds, now. */
  stats(): ConnectionStats {
    return {
      connectedAt: this.#connectedAt,
      lastActivityAt: this.#lastActivityAt,
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
      messagesIn: this.#messagesIn,
      messagesOut: this.#messagesOut,
      queuedBytes: this.#outbox.bytes + this.#channel.bufferedAmount,
      partialBytes: this.#decoder.bufferedBytes,
    };
  }

  /** True once the connection has closed; `disconnect` is emitted right after. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Why the connection closed, if it did not close cleanly. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Resolves once the connection has closed, for whatever reason. */
  get done(): Promise<void> {
    this.#done ??= this.#closed
      ? Promise.resolve()
      : new Promise((resolve) => this.#events.on('disconnect', () => resolve()));
    return this.#done;
  }

  /** Listens to `event` (`disconnect`, or `error` for a handler that threw while told of the close). */
  on<K extends keyof ConnectionEvents>(event: K, listener: ConnectionEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  /**
   * Writes `msg`, after anything queued, at once. Resolves when the bytes
   * are handed to the operating system; await it to respect backpressure.
   */
  sendNow(msg: Message): Promise<void> {
    try {
      this.#enqueue(msg);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#writeAll((error) => (error ? reject(error) : resolve()));
    });
  }

  /**
   * Queues `msg`. Messages queued while this connection's received bytes
   * are being handled leave together when that is done (or once 256 KiB
   * wait); others at the end of the loop turn. Either way in bounded batches, pausing while the peer
   * is not reading. Throws MSG_QUEUE_FULL rather than queue past maxQueueBytes.
   */
  sendLater(msg: Message): void {
    this.#enqueue(msg);
    if (this.#reading) {
      // Only a large backlog leaves early: each write wakes the peer, which costs more than the calls it carries.
      if (this.#outbox.bytes >= BATCH_BYTES) this.#flush();
    } else if (!this.#flushScheduled && !this.#awaitingDrain) {
      this.#flushScheduled = true;
      this.#options.loop.defer(() => {
        this.#flushScheduled = false;
        this.#flush();
      });
    }
  }

  /**
   * The next message (the Msg toolkit's rcv_now), also when an onMessage
   * handler is set: a waiting receive() is served first. Resolves undefined
   * once the connection has closed cleanly and every message was received;
   * rejects with the error that closed it otherwise.
   */
  receive(): Promise<Uint8Array | undefined> {
    const msg = this.#inboxHead < this.#inbox.length ? this.#takeFromInbox() : undefined;
    if (msg !== undefined) return Promise.resolve(msg);
    if (this.#closed) return this.#error ? Promise.reject(this.#error) : Promise.resolve(undefined);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Every message until the connection closes: `for await (const msg of conn)`. */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const msg = await this.receive();
      if (msg === undefined) return;
      yield msg;
    }
  }

  /**
   * Writes what is queued, then closes; messages arriving meanwhile are
   * dropped. Resolves once closed: at the latest after disconnectTimeoutMs,
   * when a peer that does not close its side is dropped.
   */
  close(): Promise<void> {
    if (!this.#closed && !this.#closing) {
      this.#closing = this.#discarding = true;
      this.#writeAll();
      this.#channel.close();
      this.#channel.resume(); // read on, so that the peer's end is seen even if reading was paused
      const grace = this.#options.loop.timer(this.#options.disconnectTimeoutMs, () => this.#channel.destroy());
      this.#events.on('disconnect', () => grace.cancel());
    }
    return this.done;
  }

  /** Closes at once, dropping anything unsent. */
  destroy(error?: Error): void {
    if (this.#closed) return;
    this.#error ??= error;
    this.#closing = this.#discarding = true;
    this.#channel.destroy();
  }

  /** close(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #enqueue(msg: Message): void {
    const payload = typeof msg === 'string' ? utf8.encode(msg) : msg;
    if (this.#closed || this.#closing) throw msgError('MSG_CLOSED', 'connection is closed');
    const maxPacketSize = this.#decoder.maxMessageSize;
    const maxQueueBytes = this.#options.maxQueueBytes;
    if (payload.length > maxPacketSize) {
      throw msgError(
        'MSG_MESSAGE_TOO_LARGE',
        `message of ${payload.length} bytes exceeds maxPacketSize ${maxPacketSize}`,
      );
    }
    if (this.#outbox.length > 0) {
      if (this.#outbox.bytes + payload.length > maxQueueBytes) {
        throw msgError(
          'MSG_QUEUE_FULL',
          `send queue holds ${this.#outbox.bytes} bytes; maxQueueBytes is ${maxQueueBytes}`,
        );
      }
      if (this.#budget !== undefined && !this.#budget.fits(payload.length)) {
        throw msgError(
          'MSG_SERVER_BUSY',
          `the server's connections hold ${this.#budget.used} bytes; maxBufferedBytes is ${this.#budget.limit}`,
        );
      }
    }
    this.#outbox.push(payload);
    this.#messagesOut++;
    // A backlog builds only while the channel refuses more: otherwise the queue leaves within the turn.
    if (this.#awaitingDrain && !this.#sendBlocked) this.#checkBacklog();
  }

  #stallWatch(): Watchdog {
    const ms = this.#options.sendTimeoutMs;
    this.#stall ??= new Watchdog(this.#options.loop, ms, () =>
      this.destroy(msgError('MSG_SEND_TIMEOUT', `the peer read nothing of its answers for ${ms} ms`)),
    );
    return this.#stall;
  }

  #messageWatch(): Watchdog {
    const ms = this.#options.messageTimeoutMs;
    this.#slowMessage ??= new Watchdog(this.#options.loop, ms, () =>
      this.destroy(msgError('MSG_MESSAGE_TIMEOUT', `a message took longer than ${ms} ms to arrive`)),
    );
    return this.#slowMessage;
  }

  /** Pauses reading past half of maxQueueBytes held unsent, resumes below a quarter: the peer's work waits for it. */
  #checkBacklog(): void {
    const held = this.#outbox.bytes + this.#channel.bufferedAmount;
    const max = this.#options.maxQueueBytes;
    const blocked = this.#sendBlocked ? held > max / 4 : held > max / 2;
    if (blocked === this.#sendBlocked) return;
    this.#sendBlocked = blocked;
    this.#outbox.holding = blocked || this.#awaitingDrain;
    if (blocked) this.#stallWatch().start();
    else this.#stall?.stop();
    this.#updateReading();
  }

  /**
   * While the channel refuses more, what it holds is the server's memory too: charged to the budget until `drain`
   * (charging it at other times would leave stale charges, since a channel tells no one as it empties).
   */
  #setAwaitingDrain(waiting: boolean): void {
    this.#awaitingDrain = waiting;
    this.#outbox.holding = waiting || this.#sendBlocked;
    const held = waiting ? this.#channel.bufferedAmount : 0;
    this.#budget?.charge(held - this.#channelHeld);
    this.#channelHeld = held;
  }

  #updateReading(): void {
    if (this.#closing) return; // close() reads on, to see the peer's end
    if (this.#inboxFull || this.#sendBlocked) this.#channel.pause();
    else this.#channel.resume();
  }

  /** Charges partial-message bytes to the server's budget and times each message from its first byte. */
  #partialChanged(messagesBefore: number): void {
    const partial = this.#decoder.bufferedBytes;
    this.#budget?.charge(partial - this.#partial);
    this.#partial = partial;
    if (messagesBefore !== this.#messagesIn) this.#slowMessage?.stop();
    if (partial === 0) return;
    this.#messageWatch().start();
    const budget = this.#budget;
    if (budget !== undefined && budget.used > budget.limit) {
      this.destroy(
        msgError('MSG_SERVER_BUSY', `a partial message would pass the server's maxBufferedBytes of ${budget.limit}`),
      );
    }
  }

  /** Hands the whole queue to the channel regardless of backpressure (sendNow, close). */
  #writeAll(onFlushed?: (error?: Error) => void): void {
    const chunks = this.#outbox.length > 0 ? this.#outbox.take(Infinity) : [];
    this.#wrote(chunks);
    if (!this.#channel.writev(chunks, onFlushed)) this.#setAwaitingDrain(true);
  }

  #wrote(chunks: readonly Uint8Array[]): void {
    for (const chunk of chunks) this.#bytesOut += chunk.length;
    this.#lastActivityAt = Date.now();
    this.#idle?.touch();
  }

  /** Writes one batch per drain, so that a long queue on one connection leaves the loop to the others. */
  #flush(): void {
    while (this.#outbox.length > 0 && !this.#awaitingDrain && !this.#closed) {
      const chunks = this.#outbox.take(BATCH_BYTES);
      this.#wrote(chunks);
      const ok = chunks.length === 1 ? this.#channel.write(chunks[0] as Uint8Array) : this.#channel.writev(chunks);
      if (!ok) this.#setAwaitingDrain(true);
    }
  }

  #deliver(payload: Uint8Array): void {
    this.#messagesIn++;
    if (this.#discarding) return;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) return waiter.resolve(payload);
    const handler = this.#handler;
    if (handler === undefined || this.#inboxHead < this.#inbox.length) return this.#addToInbox(payload);
    this.#dispatch(handler, payload);
  }

  #dispatch(handler: MessageHandler, payload: Uint8Array): void {
    this.#handles.dispatched(); // before the call, which may deregister the last handle
    try {
      handler(this, payload);
    } catch (error) {
      this.destroy(msgError('MSG_HANDLER_FAILED', 'message handler threw; connection closed', { cause: error }));
    }
  }

  #addToInbox(payload: Uint8Array): void {
    this.#inbox.push(payload);
    this.#inboxBytes += payload.length + MESSAGE_COST;
    if (!this.#inboxFull && this.#inboxBytes >= this.#options.receiveBufferBytes) {
      this.#inboxFull = true;
      this.#updateReading();
    }
  }

  #takeFromInbox(): Uint8Array {
    const inbox = this.#inbox;
    const msg = inbox[this.#inboxHead] as Uint8Array;
    inbox[this.#inboxHead++] = EMPTY;
    if (this.#inboxHead === inbox.length) {
      this.#inbox = [];
      this.#inboxHead = 0;
    } else if (this.#inboxHead > 1024 && this.#inboxHead * 2 > inbox.length) {
      this.#inbox = inbox.slice(this.#inboxHead);
      this.#inboxHead = 0;
    }
    this.#inboxBytes -= msg.length + MESSAGE_COST;
    if (this.#inboxFull && this.#inboxBytes < this.#options.receiveBufferBytes / 2) {
      this.#inboxFull = false;
      this.#updateReading();
    }
    return msg;
  }

  #onClose(channelError: Error | undefined): void {
    this.#closed = true;
    this.#stall?.stop();
    this.#slowMessage?.stop();
    this.#idle?.stop();
    this.#outbox.clear();
    this.#budget?.charge(-this.#partial - this.#channelHeld);
    this.#channelHeld = 0;
    this.#partial = 0;
    this.#error ??= channelError;
    const error = this.#error;
    for (const waiter of this.#waiters.splice(0)) {
      if (error) waiter.reject(error);
      else waiter.resolve(undefined);
    }
    const handler = this.#handler;
    if (handler !== undefined) {
      this.#handles.dispatched();
      try {
        handler(this, undefined, error);
      } catch (thrown) {
        this.#events.emit('error', msgError('MSG_HANDLER_FAILED', 'message handler threw on close', { cause: thrown }));
      }
      this.#handles.deregister(this);
    }
    this.#events.emit('disconnect', error);
  }
}
