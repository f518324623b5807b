import {
  connectionReport,
  describeThrown,
  Drain,
  ErrorCounts,
  rpcError,
  type NotificationMessage,
  type RequestMessage,
  type ServerStats,
} from '@rpc/core';
import { Emitter, RpcError, type Address, type Loop, type Subscription } from '@rpc/loop';
import { defaultLoop, MsgServer, type Connection } from '@rpc/msg';
import { mprpcCodec } from './codec.js';
import { endpointOf } from './endpoint.js';
import { mprpcError } from './errors.js';
import { msgpackValues } from './framing.js';
import type { Handlers, Methods, MprpcHandler, Untyped } from './methods.js';
import {
  resolveHandlerOptions,
  resolveServerLimits,
  resolveShutdownTimeout,
  type CommonOptions,
  type ServerHandlerOptions,
} from './options.js';
import { MprpcPeer, type PeerOptions } from './peer.js';
import { serverStats } from './server-stats.js';

/** What `new MprpcServer()` takes: where to listen, the limits on clients, and the options clients take too. */
export interface MprpcServerOptions extends CommonOptions {
  /** TCP port (0 picks one), or the path of a Unix socket. */
  readonly port: number | string;
  /** The interface to bind (AnyEvent::MPRPC's `address`); all when undefined. `'unix/'` makes `port` a socket path. */
  readonly host?: string;
  /** Every limit on what clients may make the server spend: each connection's, and what they share. */
  readonly handlerOptions?: ServerHandlerOptions;
  /** How long close() lets calls in flight finish before answering them with RPC_SHUTDOWN (default 5 s; 0: none). */
  readonly shutdownTimeoutMs?: number;
}

/** The events of an {@link MprpcServer}, with their listeners' signatures: see {@link MprpcServer.on}. */
export interface MprpcServerEvents<Remote extends Methods<Remote>> {
  /** A client connected. */
  connect: (peer: MprpcPeer<Remote>) => void;
  /** A client's connection closed: `error` says why, undefined for a clean end (AnyEvent's on_eof). */
  disconnect: (peer: MprpcPeer<Remote>, error?: Error) => void;
  /** A request or notification is about to be served. */
  call: (peer: MprpcPeer<Remote>, message: RequestMessage | NotificationMessage) => void;
  /**
   * Something went wrong with one client (AnyEvent's on_error): its connection failed or broke the
   * protocol (then `disconnect` follows), or a handler threw on a notification (the connection stays);
   * `peer` is undefined for a client that never got as far as connecting (a failed TLS handshake, a
   * connection past maxConnections). A listener that throws is reported here too (MPRPC_LISTENER_FAILED).
   */
  error: (error: Error, peer: MprpcPeer<Remote> | undefined) => void;
}

/**
 * AnyEvent::MPRPC::Server: a MessagePack-RPC server over TCP or a Unix
 * socket, typed by the methods it serves (`Local`) and those its clients
 * serve back (`Remote`). `await server.start()` listens; register methods
 * with regCb, before or after. Each method gets a result handle to answer
 * with, now or later, and for a notification none.
 *
 * What one client does ends at most its own connection: limits
 * (handlerOptions) bound what it can make the server hold, an answer that
 * cannot be sent closes only its connection, and event listeners that throw
 * are reported, not thrown.
 */
export class MprpcServer<Local extends Methods<Local> = Untyped, Remote extends Methods<Remote> = Untyped>
  implements AsyncDisposable
{
  readonly #handlers = new Map<string, MprpcHandler>();
  /** Peers made by login, connected or not yet (a connection that closes before it connects is forgotten with it). */
  readonly #made = new WeakMap<Connection, MprpcPeer<Remote>>();
  readonly #peers = new Map<Connection, MprpcPeer<Remote>>();
  /** The server's number for each connection, in stats(). */
  readonly #ids = new WeakMap<Connection, number>();
  readonly #events = new Emitter<MprpcServerEvents<Remote>>({
    onListenerError: (thrown, event, args) => this.#listenerFailed(thrown, event, args),
  });
  readonly #errors = new ErrorCounts();
  readonly #drain = new Drain();
  readonly #server: MsgServer;
  readonly #loop: Loop;
  readonly #shutdownTimeoutMs: number;
  #nextId = 1;
  /** Calls served to clients that have gone. */
  #servedBefore = 0;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: MprpcServerOptions) {
    const limits = resolveHandlerOptions(options.handlerOptions);
    const shared = resolveServerLimits(options.handlerOptions);
    this.#shutdownTimeoutMs = resolveShutdownTimeout(options.shutdownTimeoutMs);
    const codec = mprpcCodec(limits.extensions);
    const loop = options.loop ?? defaultLoop();
    this.#loop = loop;
    // One for every peer: they are told apart by the argument the callbacks get, not by closures of their own.
    const peerOptions: PeerOptions<Remote> = {
      ...limits,
      codec,
      loop,
      deadlineMs: options.deadlineMs,
      handlerFor: (method) => this.#handlers.get(method),
      onCall: (message, peer) => this.#events.emit('call', peer, message),
      onError: (error, peer) => this.#error(error, peer),
      errors: this.#errors,
      onSettled: () => this.#drain.check(),
    };
    this.#server = new MsgServer({
      ...endpointOf(options.port, options.host, options.tls),
      ...limits.connection,
      ...shared,
      loop,
      maxPacketSize: limits.maxMessageSize,
      framing: msgpackValues,
      login: (conn) => {
        if (this.#closed) return false; // closing: no new clients
        this.#made.set(conn, new MprpcPeer(conn, peerOptions));
        this.#ids.set(conn, this.#nextId++);
        return conn.onMessage; // the peer's own
      },
    });
    this.#server.on('error', (error, conn) => this.#error(error, conn && this.#made.get(conn)));
    this.#server.on('connect', (conn) => {
      const peer = this.#made.get(conn);
      if (peer === undefined) return;
      this.#peers.set(conn, peer);
      this.#events.emit('connect', peer);
    });
    this.#server.on('disconnect', (conn, error) => {
      const peer = this.#peers.get(conn);
      if (peer === undefined) return;
      this.#peers.delete(conn);
      this.#servedBefore += peer.served;
      if (error) this.#error(error, peer);
      this.#events.emit('disconnect', peer, error);
    });
  }

  /** Listens; resolves with the server once it accepts clients. Calling it again is harmless. */
  start(): Promise<this> {
    if (this.#closed) return Promise.reject(rpcError('RPC_CLOSED', 'the server was closed; make a new one'));
    return this.#server.start().then(() => this);
  }

  /** The bound address once started, with the real port when port 0 was asked for (MSG_NOT_STARTED before). */
  get address(): Address {
    return this.#server.address;
  }

  /** AnyEvent's `port` once started: the TCP port (the real one when 0 was asked for), or the socket path. */
  get port(): number | string {
    const address = this.#server.address;
    return 'port' in address ? address.port : address.path;
  }

  /** Registers methods by name (reg_cb): `server.regCb({ sum: (res, a, b) => res?.result(a + b) })`. */
  regCb(callbacks: Handlers<Local>): this {
    for (const [name, handler] of Object.entries(callbacks)) {
      if (handler !== undefined) this.#handlers.set(name, handler as MprpcHandler);
    }
    return this;
  }

  /** Clients connected now; each can be called back (`peer.call`, `peer.notify`). */
  get peers(): ReadonlySet<MprpcPeer<Remote>> {
    return new Set(this.#peers.values());
  }

  /** Subscribes to clients connecting and disconnecting, each call, and errors. */
  on<K extends keyof MprpcServerEvents<Remote>>(event: K, listener: MprpcServerEvents<Remote>[K]): Subscription {
    return this.#events.on(event, listener);
  }

  /**
   * The server's figures: connections, refusals, calls, errors by code, bytes buffered and carried, and each client's
   * line. Calls queued are always 0: MessagePack-RPC serves each request as it comes.
   */
  stats(): ServerStats {
    const reports = [...this.#peers].map(([conn, peer]) =>
      connectionReport(this.#ids.get(conn) ?? 0, conn.remote, conn.stats(), {
        callsInFlight: peer.serving,
        callsQueued: 0, // MessagePack-RPC serves each request as it comes: none waits for another
        callsServed: peer.served,
      }),
    );
    return serverStats(this.#server.stats(), reports, this.#servedBefore, this.#errors);
  }

  /**
   * Stops taking clients and calls (requests are answered with RPC_SHUTDOWN, notifications dropped), lets the calls
   * in flight finish for shutdownTimeoutMs, answers those left with RPC_SHUTDOWN, then closes every connection after
   * writing what it has queued. Resolves once all are closed; calling it again waits for the same close.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await this.#server.stopListening();
    const peers = (): MprpcPeer<Remote>[] => [...this.#peers.values()];
    for (const peer of peers()) peer.refuseCalls();
    const ms = this.#shutdownTimeoutMs;
    const drained = await this.#drain.wait(this.#loop, ms, () => peers().some((peer) => peer.serving > 0));
    if (!drained) for (const peer of peers()) peer.giveUpCalls(`the server closed after waiting ${ms} ms`);
    await this.#server.close();
  }

  /** close(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Counts `error` by its code and tells the `error` listeners. */
  #error(error: Error, peer: MprpcPeer<Remote> | undefined): void {
    this.#errors.count(error instanceof RpcError ? error : error.name);
    this.#events.emit('error', error, peer);
  }

  #listenerFailed(thrown: unknown, event: keyof MprpcServerEvents<Remote>, args: readonly unknown[]): void {
    const text = `a '${event}' listener threw: ${describeThrown(thrown)}`;
    const failure = mprpcError('MPRPC_LISTENER_FAILED', text, { cause: thrown });
    if (event === 'error') return this.#errors.count(failure); // nobody left to tell
    this.#error(
      failure,
      args.find((arg): arg is MprpcPeer<Remote> => arg instanceof MprpcPeer),
    );
  }
}
