import type { Address, Loop, Timer, TransportError } from '@rpc/loop';
import { connect, createInbox, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { natsError } from './errors.js';
import { NatsChannel } from './nats-channel.js';
import { Control, textBytes } from './wire.js';

/** How a {@link NatsLink} connects and paces its sessions. */
export interface NatsLinkOptions {
  /** The NATS client's options, servers included. */
  readonly nats: NodeConnectionOptions;
  /** Timers and deferred tasks. */
  readonly base: Loop;
  /** Bytes each session lets its peer send before acknowledging them. */
  readonly window: number;
  readonly heartbeatMs: number;
  readonly peerTimeoutMs: number;
  /** How long an unused connection stays open for the next listen or connect. */
  readonly lingerMs: number;
}

/**
 * One NATS connection of a NatsLoop and the sessions on it: a single
 * wildcard subscription `<inbox>.>` routes every session's messages (so a
 * session costs no subscription of its own, and the peer's first message
 * finds the interest already known across the cluster). It heartbeats the
 * sessions, asks them to resync after a reconnect, and ends them when the
 * connection closes for good. Held by listeners and sessions; unused for
 * lingerMs, it closes.
 */
export class NatsLink {
  readonly nc: NatsConnection;
  /** The inbox prefix of this connection's sessions. */
  readonly inbox: string;
  /** The server's max_payload. */
  readonly maxPayload: number;
  /** This side's address as its NATS server sees it, and its NATS client id. */
  readonly address: { readonly host: string; readonly port: number };
  /** Whether the connection runs over TLS. */
  readonly secure: boolean;
  readonly #options: NatsLinkOptions;
  readonly #sessions = new Map<string, NatsChannel>();
  readonly #onError = new Set<(error: TransportError) => void>();
  #nextSession = 0;
  #holds = 0;
  #heartbeat: Timer | undefined;
  #linger: Timer | undefined;
  #connected = true;
  #closing = false;

  /** Connects; NATS_SERVERS_UNREACHABLE when no server answers. */
  static async open(options: NatsLinkOptions, onClosed: (link: NatsLink) => void): Promise<NatsLink> {
    let nc: NatsConnection;
    try {
      nc = await connect(options.nats);
    } catch (cause) {
      const servers = String(options.nats.servers ?? 'the default NATS server');
      const why = cause instanceof Error ? cause.message : String(cause);
      throw natsError('NATS_SERVERS_UNREACHABLE', `cannot reach NATS at ${servers}: ${why}`, { cause });
    }
    return new NatsLink(nc, options, onClosed);
  }

  private constructor(nc: NatsConnection, options: NatsLinkOptions, onClosed: (link: NatsLink) => void) {
    this.nc = nc;
    this.#options = options;
    this.inbox = createInbox();
    const info = nc.info;
    this.maxPayload = info?.max_payload ?? 1024 * 1024;
    this.address = { host: info?.client_ip ?? '', port: info?.client_id ?? 0 };
    this.secure = info?.tls_required === true || options.nats.tls !== undefined;
    const prefix = this.inbox.length + 1;
    nc.subscribe(`${this.inbox}.>`, {
      callback: (error, msg) => {
        if (error) return;
        const dot = msg.subject.indexOf('.', prefix);
        const session = msg.subject.slice(prefix, dot);
        const token = msg.subject.slice(dot + 1);
        const channel = this.#sessions.get(session);
        if (channel !== undefined) channel.receive(token, msg.data);
        else if (token === Control.ping && msg.reply)
          nc.publish(`${msg.reply}.${Control.reset}`, textBytes('no such session'));
      },
    });
    void this.#watch();
    void nc.closed().then((cause) => {
      onClosed(this);
      if (this.#closing) return;
      const why = cause instanceof Error ? `: ${cause.message}` : '';
      const error = natsError('NATS_CONNECTION_CLOSED', `the NATS connection closed${why}`, { cause });
      for (const channel of [...this.#sessions.values()]) channel.lost(error);
      for (const tell of this.#onError) tell(error);
    });
  }

  /** True once closing (unused, or closed): a new listen or connect needs a new link. */
  get closing(): boolean {
    return this.#closing || this.nc.isClosed();
  }

  /** Keeps the connection open until the returned function is called (once). */
  hold(): () => void {
    this.#holds++;
    this.#linger?.cancel();
    this.#linger = undefined;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (--this.#holds === 0) this.#linger = this.#options.base.timer(this.#options.lingerMs, () => this.#close());
    };
  }

  /** Tells `listener` when the connection closes for good; returns how to stop. */
  onError(listener: (error: TransportError) => void): () => void {
    this.#onError.add(listener);
    return () => this.#onError.delete(listener);
  }

  /** A new session on this connection, not yet bound to its peer; it holds the connection until it ends. */
  session(local: Address): { readonly id: string; readonly channel: NatsChannel } {
    const id = String(++this.#nextSession);
    const subject = `${this.inbox}.${id}`;
    const release = this.hold();
    const { base, window, heartbeatMs, peerTimeoutMs } = this.#options;
    const channel = new NatsChannel(
      {
        subject,
        maxPayload: this.maxPayload,
        publish: (to, payload, reply) => this.#publish(to, payload, reply),
        defer: (task) => base.defer(task),
        now: () => base.now(),
        forget: () => {
          this.#sessions.delete(id);
          if (this.#sessions.size === 0) {
            this.#heartbeat?.cancel();
            this.#heartbeat = undefined;
          }
          release();
        },
      },
      { local, secure: this.secure, window, heartbeatMs, peerTimeoutMs },
    );
    this.#sessions.set(id, channel);
    this.#heartbeat ??= base.repeat(heartbeatMs, () => this.#tick());
    return { id, channel };
  }

  #publish(subject: string, payload: Uint8Array, reply: string | undefined): void {
    if (this.nc.isClosed()) return;
    try {
      this.nc.publish(subject, payload, reply === undefined ? undefined : { reply });
    } catch {
      // Closing or draining: the session ends by the connection's close, or by its peer's silence.
    }
  }

  #tick(): void {
    if (!this.#connected) return; // deaf while reconnecting: timeouts start over once back
    const now = this.#options.base.now();
    for (const channel of [...this.#sessions.values()]) channel.tick(now);
  }

  async #watch(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') {
        this.#connected = false;
        if (this.#holds === 0) this.#close(); // nobody needs it: no reconnect attempts to wait for
      } else if (status.type === 'reconnect') {
        this.#connected = true;
        for (const channel of [...this.#sessions.values()]) channel.resync();
      }
    }
  }

  #close(): void {
    if (this.#holds > 0 || this.#closing) return;
    this.#closing = true;
    this.#linger?.cancel();
    // Drained, what the last sessions published (their end) still goes out; a lost connection has nothing to drain.
    if (this.#connected) this.nc.drain().catch(() => this.nc.close());
    else void this.nc.close();
  }
}
