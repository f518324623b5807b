import {
  type Address,
  BaseChannel,
  type FlushCallback,
  formatAddress,
  loopError,
  type TransportError,
} from '@rpc/loop';
import { natsError } from './errors.js';
import { ReceiveWindow } from './receive-window.js';
import { SendWindow } from './send-window.js';
import { Control, type ControlKind, offsetBytes, readOffset, readText, textBytes } from './wire.js';

/** Where a session's peer is: its per-session subjects, and the window it gave us. */
export interface SessionPeer {
  /** `<peer inbox>.<peer session>`: its subjects are this plus one token. */
  readonly subject: string;
  /** Bytes it lets us send before it acknowledges them. */
  readonly window: number;
  /** Its address, for `remote`. */
  readonly address: Address;
}

/** What a {@link NatsChannel} needs of the NATS connection its session runs on. */
export interface SessionLink {
  /** This session's own subject, `<inbox>.<session>`, which pings carry as their reply subject. */
  readonly subject: string;
  /** The largest message NATS takes (the server's max_payload). */
  readonly maxPayload: number;
  /** Publishes `payload` on `subject`, with a reply subject if given. */
  publish(subject: string, payload: Uint8Array, reply?: string): void;
  /** Runs `task` after the current turn's I/O callbacks (the loop's defer), so that writes of one turn merge. */
  defer(task: () => void): void;
  /** The loop's clock. */
  now(): number;
  /** The session has ended: stop routing to it, and let go of the connection. */
  forget(): void;
}

/** How a {@link NatsChannel} paces itself. */
export interface NatsChannelOptions {
  /** This end's address. */
  readonly local: Address;
  /** Whether the NATS connection runs over TLS. */
  readonly secure: boolean;
  /** Bytes the peer may send before this end acknowledges them. */
  readonly window: number;
  /** How often an idle session pings (and how often a lost message is asked for again). */
  readonly heartbeatMs: number;
  /** How long the peer may stay silent before the session ends with NATS_PEER_LOST. */
  readonly peerTimeoutMs: number;
}

/**
 * A Channel over one NATS session: a byte stream (no message boundaries;
 * writes past max_payload are split, small writes of one turn merged) on the
 * two ends' per-session subjects. Flow control is a credit of bytes: write()
 * says wait once the peer's window is spent, and `drain` comes when its
 * acknowledgements free it, so neither side buffers more than a window for
 * a reader that does not read. Data messages carry their stream offset, so a
 * NATS reconnect that loses some is repaired by sending them again. The
 * session ends cleanly when both ends have sent their end; with a coded
 * error on the peer's reset, its silence (peerTimeoutMs), or the NATS
 * connection closing.
 */
export class NatsChannel extends BaseChannel {
  /** This end's address: where its NATS server sees it, and the listened port or its NATS client id. */
  readonly local: Address;
  /** Whether the NATS connection runs over TLS. */
  readonly secure: boolean;
  readonly #link: SessionLink;
  readonly #options: NatsChannelOptions;
  readonly #receive: ReceiveWindow;
  #send: SendWindow | undefined;
  #peer: SessionPeer | undefined;
  #reading = false;
  #pumping = false;
  /** This end writes no more: its end goes once the queue is sent. */
  #ending = false;
  #endSent = false;
  /** The peer's final offset, once its end has come. */
  #peerEnd: number | undefined;
  #over = false;
  #heardAt: number;
  #sentAt: number;
  #askedFor = -1;
  #askedAt = 0;

  constructor(link: SessionLink, options: NatsChannelOptions) {
    super({ highWaterMark: Number.POSITIVE_INFINITY, defer: (task) => link.defer(task) });
    this.#link = link;
    this.#options = options;
    this.local = options.local;
    this.secure = options.secure;
    this.#receive = new ReceiveWindow(options.window);
    this.#heardAt = this.#sentAt = link.now();
  }

  /** The peer's address (empty until the session is open). */
  get remote(): Address {
    return this.#peer?.address ?? { host: '', port: 0 };
  }

  /** Bytes written and not yet published: waiting for the peer's credit, or for the end of this turn. */
  get bufferedAmount(): number {
    return this.#send?.queued ?? 0;
  }

  /** The session is open: where the peer is. Data that came before is kept; writes go from now on. */
  bind(peer: SessionPeer): void {
    this.#peer = peer;
    this.#send = new SendWindow(peer.window, Math.min(this.#link.maxPayload, peer.window));
    this.#schedulePump();
  }

  /** A message on one of this session's subjects: `token` is the last one (an offset, or a control letter). */
  receive(token: string, payload: Uint8Array): void {
    if (this.#over) return;
    this.#heardAt = this.#link.now();
    const code = token.charCodeAt(0);
    if (code >= 48 && code <= 57) return this.#data(Number(token), payload);
    const offset = token === Control.reset ? 0 : readOffset(payload);
    if (offset < 0) return this.#fail(natsError('NATS_SESSION_BROKEN', `malformed ${token} message from ${this.#who}`));
    switch (token) {
      case Control.ack:
        if (this.#send?.ack(offset)) this.#schedulePump();
        return;
      case Control.resend:
        return this.#resend(offset);
      case Control.ping:
        if (offset > this.#receive.arrived) this.#askResend();
        return;
      case Control.end:
        this.#peerEnd = offset;
        if (offset > this.#receive.arrived) this.#askResend();
        return this.#deliver();
      case Control.reset:
        return this.#fail(natsError('NATS_SESSION_RESET', `${this.#who} dropped the session: ${readText(payload)}`));
    }
  }

  /** Called every heartbeat: pings when idle, acknowledges what waits, and ends a session whose peer fell silent. */
  tick(now: number): void {
    if (this.#over || this.#peer === undefined) return;
    if (now - this.#heardAt > this.#options.peerTimeoutMs) {
      this.#control(Control.reset, textBytes('nothing heard for too long'));
      const silent = Math.round(now - this.#heardAt);
      return this.#fail(natsError('NATS_PEER_LOST', `nothing heard from ${this.#who} for ${silent} ms`));
    }
    if (this.#receive.delivered > this.#receive.acked)
      this.#control(Control.ack, offsetBytes(this.#receive.acknowledge()));
    if (now - this.#sentAt >= this.#options.heartbeatMs) this.#ping();
  }

  /** The NATS connection is back after a loss: ask for what may have been lost either way. */
  resync(): void {
    if (this.#over || this.#peer === undefined) return;
    this.#heardAt = this.#link.now();
    this.#control(Control.resend, offsetBytes(this.#receive.arrived));
    this.#ping();
  }

  /** The NATS connection is gone for good. */
  lost(error: TransportError): void {
    this.#finish(error);
  }

  protected override transportWritable(): boolean {
    return !this.#over && !this.#ending;
  }

  protected transmit(chunks: readonly Uint8Array[], onFlushed: FlushCallback | undefined): boolean {
    if (this.#send === undefined) this.#early.push({ chunks, onFlushed });
    else this.#send.push(chunks, onFlushed);
    this.#schedulePump();
    const send = this.#send;
    return send !== undefined && send.queued <= send.credit;
  }

  protected setReading(on: boolean): void {
    this.#reading = on;
    if (on) this.#link.defer(() => this.#deliver()); // never inside the on() or resume() that asked for it
  }

  protected shutdown(): void {
    this.#ending = true;
    this.#schedulePump();
  }

  protected abort(): void {
    this.#control(Control.reset, textBytes('closed by its owner'));
    this.#finish(undefined);
  }

  /** Writes made before the session was open (none from the Loop's users, who get the channel open). */
  readonly #early: Array<{ chunks: readonly Uint8Array[]; onFlushed: FlushCallback | undefined }> = [];

  get #who(): string {
    return `peer ${formatAddress(this.remote)}`;
  }

  #data(offset: number, payload: Uint8Array): void {
    switch (this.#receive.accept(offset, payload)) {
      case 'in order':
        return this.#deliver();
      case 'gap':
        return this.#askResend();
      case 'overrun':
        return this.#fail(natsError('NATS_SESSION_BROKEN', `${this.#who} sent past the window it was given`));
      case 'duplicate':
        return;
    }
  }

  #deliver(): void {
    if (!this.#reading || this.#over) return;
    for (const chunk of this.#receive.take()) this.received(chunk);
    if (this.#receive.ackDue) this.#control(Control.ack, offsetBytes(this.#receive.acknowledge()));
    if (this.#peerEnd !== undefined && this.#receive.delivered >= this.#peerEnd) {
      this.#ending = true; // the peer has ended: end this side too, as a socket does without half-open
      this.#schedulePump();
    }
  }

  #schedulePump(): void {
    if (this.#pumping || this.#over) return;
    this.#pumping = true;
    this.#link.defer(() => {
      this.#pumping = false;
      this.#pump();
    });
  }

  /** Publishes what the credit allows, then the end once everything has gone. */
  #pump(): void {
    const send = this.#send;
    const peer = this.#peer;
    if (this.#over || send === undefined || peer === undefined) return;
    for (const early of this.#early.splice(0)) send.push(early.chunks, early.onFlushed);
    for (let out = send.next(); out !== undefined; out = send.next()) {
      if (out.payload.length > 0) {
        this.#link.publish(`${peer.subject}.${out.offset}`, out.payload);
        this.#sentAt = this.#link.now();
      }
      for (const flushed of out.flushed) flushed();
    }
    if (send.queued > 0) return;
    this.drained();
    if (this.#ending && !this.#endSent) {
      this.#endSent = true;
      this.#control(Control.end, offsetBytes(send.sent));
    }
    if (this.#endSent && this.#peerEnd !== undefined && this.#receive.delivered >= this.#peerEnd)
      this.#finish(undefined);
  }

  #resend(offset: number): void {
    const peer = this.#peer;
    if (this.#send === undefined || peer === undefined) return;
    for (const kept of this.#send.keptFrom(offset)) this.#link.publish(`${peer.subject}.${kept.offset}`, kept.payload);
    if (this.#endSent) this.#control(Control.end, offsetBytes(this.#send.sent));
  }

  /** Asks the peer to send again from what arrived, at most once a heartbeat for the same offset. */
  #askResend(): void {
    const now = this.#link.now();
    const at = this.#receive.arrived;
    if (at === this.#askedFor && now - this.#askedAt < this.#options.heartbeatMs) return;
    this.#askedFor = at;
    this.#askedAt = now;
    this.#control(Control.resend, offsetBytes(at));
  }

  #ping(): void {
    this.#control(Control.ping, offsetBytes(this.#send?.sent ?? 0), this.#link.subject);
  }

  #control(kind: ControlKind, payload: Uint8Array, reply?: string): void {
    if (this.#peer === undefined) return;
    this.#link.publish(`${this.#peer.subject}.${kind}`, payload, reply);
    this.#sentAt = this.#link.now();
  }

  #fail(error: TransportError): void {
    this.failed(error);
    this.#finish(error);
  }

  #finish(error: TransportError | undefined): void {
    if (this.#over) return;
    this.#over = true;
    const unsent = [...(this.#send?.clear() ?? []), ...this.#early.splice(0).flatMap((e) => e.onFlushed ?? [])];
    if (unsent.length > 0) {
      const closed = error ?? loopError('LOOP_CHANNEL_CLOSED', `connection to ${formatAddress(this.remote)} is closed`);
      for (const onFlushed of unsent) this.#link.defer(() => onFlushed(closed));
    }
    this.#link.forget();
    this.ended(error);
  }
}
