import {
  acceptAfterListen,
  type Address,
  type Channel,
  checkEndpoint,
  type ConnectOptions,
  Emitter,
  type Endpoint,
  formatAddress,
  hostTurn,
  isUnixEndpoint,
  type Listener,
  type ListenerEvents,
  type Loop,
  loopError,
  type TcpEndpoint,
  type TransportError,
  TransportLoop,
} from '@rpc/loop';
import { nodeLoop } from '@rpc/loop-node';
import type { Msg, NodeConnectionOptions } from '@nats-io/transport-node';
import { natsError } from './errors.js';
import { NatsLink } from './nats-link.js';
import { decodeOpen, encodeOpen, isSubject, isToken, type OpenAnswer, type OpenRequest } from './wire.js';

/** Where a {@link NatsLoop} meets its peers, and how its sessions pace themselves. */
export interface NatsLoopOptions {
  /** The NATS servers to connect to, as `nats://host:port` URLs (default `nats://127.0.0.1:4222`). */
  readonly servers?: string | readonly string[];
  /** Any other option of the NATS client (credentials, TLS, reconnect policy); `servers` above wins. */
  readonly nats?: Omit<NodeConnectionOptions, 'servers'>;
  /** First token(s) of the service subject `<prefix>.<port>` (default `rpc`). */
  readonly prefix?: string;
  /** One service subject for every endpoint, instead of `<prefix>.<port>`; ports are then only reported. */
  readonly subject?: string;
  /** The queue group listeners join (default `rpc`): each connect goes to one member. */
  readonly queue?: string;
  /** Bytes a session lets its peer send before acknowledging them (default 1 MiB). */
  readonly windowBytes?: number;
  /** How often an idle session tells its peer it is alive (default 1000 ms). */
  readonly heartbeatMs?: number;
  /** A session whose peer stays silent this long ends with NATS_PEER_LOST (default 5000 ms). */
  readonly peerTimeoutMs?: number;
  /** connect() gives up after this long when its ConnectOptions name no timeout (default 10,000 ms). */
  readonly connectTimeoutMs?: number;
  /** Timers, deferred tasks and watched sources (default the Node loop). */
  readonly base?: Loop;
}

/** A NatsLoop listener: the Loop's Listener, and the subject it serves. */
export interface NatsListener extends Listener {
  /** The service subject it subscribed to in the queue group. */
  readonly subject: string;
}

const DEFAULT_WINDOW = 1024 * 1024;
/** Ports picked for port 0, where nothing else is likely to listen (the ephemeral range). */
const FIRST_FREE_PORT = 49_152;
/** An unused NATS connection is closed after this long, so that a close and a new listen share it. */
const LINGER_MS = 100;

/**
 * The Loop over NATS: servers and clients on any number of machines meet on
 * a subject instead of a host and port. `{ host, port }` maps to the
 * subject `<prefix>.<port>` (the host only names addresses: the NATS servers
 * are the host); listen() joins the queue group on it, so new sessions
 * spread over every listener of the subject; connect() opens a session that
 * stays with the listener that took it, on per-session subjects. Timers and
 * watched sources come from a base loop (the Node loop).
 */
export class NatsLoop extends TransportLoop {
  readonly #options: NatsLoopOptions;
  readonly #window: number;
  readonly #subjects = new Set<string>();
  #link: Promise<NatsLink> | undefined;

  constructor(options: NatsLoopOptions = {}) {
    super(options.base ?? nodeLoop);
    this.#options = options;
    this.#window = options.windowBytes ?? DEFAULT_WINDOW;
    const { prefix, subject, queue } = options;
    if (prefix !== undefined && !isSubject(prefix)) throw natsError('NATS_INVALID_OPTION', `bad prefix ${prefix}`);
    if (subject !== undefined && !isSubject(subject)) throw natsError('NATS_INVALID_OPTION', `bad subject ${subject}`);
    if (queue !== undefined && !isToken(queue)) throw natsError('NATS_INVALID_OPTION', `bad queue ${queue}`);
    for (const name of ['windowBytes', 'heartbeatMs', 'peerTimeoutMs', 'connectTimeoutMs'] as const) {
      const value = options[name];
      if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
        throw natsError('NATS_INVALID_OPTION', `${name} must be a positive integer, got ${String(value)}`);
      }
    }
  }

  /** The service subject of `endpoint`. */
  subjectOf(endpoint: TcpEndpoint): string {
    return this.#options.subject ?? `${this.#options.prefix ?? 'rpc'}.${endpoint.port}`;
  }

  /**
   * Joins the queue group on the endpoint's subject. Port 0 picks a port whose subject nobody serves. One loop
   * listens once on a subject (LOOP_ADDRESS_IN_USE otherwise); other loops, in this process or any other, join it.
   */
  async listen(endpoint: Endpoint, onChannel: (channel: Channel) => void): Promise<NatsListener> {
    if (isUnixEndpoint(endpoint)) throw loopError('LOOP_UNSUPPORTED', 'NATS listens on subjects named by a port');
    checkEndpoint(endpoint);
    const link = await this.#acquire();
    const release = link.hold();
    try {
      return await acceptAfterListen((accept) => this.#bind(link, endpoint, accept), onChannel, hostTurn);
    } finally {
      release();
    }
  }

  async #bind(link: NatsLink, endpoint: TcpEndpoint, accept: (channel: Channel) => void): Promise<NatsListener> {
    const port = endpoint.port === 0 ? await this.#freePort(link) : endpoint.port;
    const subject = this.subjectOf({ ...endpoint, port });
    if (this.#subjects.has(subject)) {
      throw loopError('LOOP_ADDRESS_IN_USE', `this loop already listens on ${subject}`, { reason: 'EADDRINUSE' });
    }
    const address: Address = { host: endpoint.host ?? '0.0.0.0', port };
    const events = new Emitter<ListenerEvents>();
    let closed = false;
    const onOpen = (msg: Msg): void => {
      let request: OpenRequest;
      try {
        request = decodeOpen<OpenRequest>(msg.data, true);
      } catch (error) {
        return void events.emit('error', error as TransportError);
      }
      // A closing listener still hears what was on its way: it refuses, rather than leave the caller to time out.
      if (closed) return void msg.respond(encodeOpen({ v: 1, refused: true } as OpenAnswer));
      if (request.probe) return void msg.respond(encodeOpen({ v: 1 } as OpenAnswer));
      const local = { host: link.address.host, port };
      const { id, channel } = link.session(local);
      const remote = { host: request.host, port: request.port };
      channel.bind({ subject: `${request.inbox}.${request.session}`, window: request.window, address: remote });
      msg.respond(encodeOpen({ v: 1, inbox: link.inbox, session: id, window: this.#window, host: local.host, port }));
      accept(channel);
    };
    const sub = link.nc.subscribe(subject, {
      queue: this.#options.queue ?? 'rpc',
      callback: (error, msg) => (error ? undefined : onOpen(msg)),
    });
    this.#subjects.add(subject);
    const release = link.hold();
    const stopErrors = link.onError((error) => events.emit('error', error));
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      this.#subjects.delete(subject);
      stopErrors();
      // Drained, not just unsubscribed: requests already on their way get their refusal. Not awaited (a round
      // trip), as a TCP listener's close does not wait for the port to be free either.
      void sub
        .drain()
        .catch(() => undefined)
        .then(release);
    };
    try {
      await link.nc.flush(); // the subscription is known to the server before listen() resolves
    } catch (cause) {
      await close();
      throw loopError('LOOP_LISTEN_FAILED', `cannot listen on ${subject}`, { cause });
    }
    return {
      address,
      subject,
      close,
      on: (event, listener) => events.on(event, listener),
      [Symbol.asyncDispose]: close,
    };
  }

  /** Opens a session with one of the servers listening on the endpoint's subject; resolves once it has answered. */
  async connect(endpoint: Endpoint, options: ConnectOptions = {}): Promise<Channel> {
    if (isUnixEndpoint(endpoint)) throw loopError('LOOP_UNSUPPORTED', 'NATS connects to subjects named by a port');
    checkEndpoint(endpoint);
    const where = formatAddress(endpoint);
    const aborted = (): Error => loopError('LOOP_ABORTED', `connect to ${where} aborted`);
    if (options.signal?.aborted) throw aborted();
    const timeoutMs = options.connectTimeoutMs ?? this.#options.connectTimeoutMs ?? 10_000;
    const deadline = this.base.now() + timeoutMs;
    const link = await this.#acquire();
    const subject = this.subjectOf(endpoint);
    const { id, channel } = link.session(link.address);
    const request: OpenRequest = { v: 1, inbox: link.inbox, session: id, window: this.#window, ...link.address };
    let stop: (() => void) | undefined;
    try {
      const answering = link.nc.request(subject, encodeOpen(request), {
        timeout: Math.max(1, Math.round(deadline - this.base.now())),
      });
      const abort = new Promise<never>((_, reject) => {
        const onAbort = (): void => reject(aborted());
        options.signal?.addEventListener('abort', onAbort, { once: true });
        stop = () => options.signal?.removeEventListener('abort', onAbort);
      });
      const reply = await Promise.race([answering, abort]);
      if (decodeOpen<OpenAnswer>(reply.data, true).refused) {
        throw loopError('LOOP_CONNECTION_REFUSED', `the listener on ${subject} (${where}) is closing`);
      }
      const answer = decodeOpen<OpenAnswer>(reply.data);
      const remote = { host: answer.host, port: answer.port };
      channel.bind({ subject: `${answer.inbox}.${answer.session}`, window: answer.window, address: remote });
      return channel;
    } catch (error) {
      channel.destroy();
      throw connectError(error, subject, where);
    } finally {
      stop?.();
    }
  }

  /** The loop's NATS connection, opened at first use, and again after it closed. */
  async #acquire(): Promise<NatsLink> {
    const current = this.#link === undefined ? undefined : await this.#link.catch(() => undefined);
    if (current !== undefined && !current.closing) return current;
    const { servers = 'nats://127.0.0.1:4222', nats } = this.#options;
    const opening = NatsLink.open(
      {
        nats: { ...nats, servers: typeof servers === 'string' ? servers : [...servers] },
        base: this.base,
        window: this.#window,
        heartbeatMs: this.#options.heartbeatMs ?? 1000,
        peerTimeoutMs: this.#options.peerTimeoutMs ?? 5000,
        lingerMs: LINGER_MS,
      },
      (link) => {
        if (this.#link === opening) this.#link = undefined;
        void link;
      },
    );
    this.#link = opening;
    opening.catch(() => {
      if (this.#link === opening) this.#link = undefined;
    });
    return opening;
  }

  /** A port whose subject nobody serves: a probe there finds no responders. */
  async #freePort(link: NatsLink): Promise<number> {
    for (;;) {
      const port = FIRST_FREE_PORT + Math.floor(Math.random() * (65_536 - FIRST_FREE_PORT));
      const subject = this.subjectOf({ port });
      if (this.#options.subject !== undefined) return port;
      try {
        await link.nc.request(subject, encodeOpen({ v: 1, probe: true } as OpenRequest), { timeout: 2000 });
      } catch (error) {
        if (isNoResponders(error)) return port;
        throw loopError('LOOP_LISTEN_FAILED', `cannot probe ${subject}`, { cause: error });
      }
    }
  }
}

function isNoResponders(error: unknown): boolean {
  const e = error as { isNoResponders?: () => boolean; name?: string; cause?: { name?: string } };
  return e?.isNoResponders?.() === true || e?.name === 'NoRespondersError' || e?.cause?.name === 'NoRespondersError';
}

/** A failed connect as the Loop's codes tell it: nobody listens, too late, aborted, or the NATS connection. */
function connectError(error: unknown, subject: string, where: string): Error {
  if (typeof (error as { code?: unknown }).code === 'string') return error as Error; // ours already
  if (isNoResponders(error)) {
    return loopError('LOOP_CONNECTION_REFUSED', `nobody listens on ${subject} (${where})`, { cause: error });
  }
  if ((error as { name?: string }).name === 'TimeoutError') {
    return loopError('LOOP_CONNECT_TIMEOUT', `connect to ${where} timed out`, { cause: error });
  }
  return loopError('LOOP_CONNECT_FAILED', `connect to ${where} failed: ${String(error)}`, { cause: error });
}
