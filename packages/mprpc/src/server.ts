import type { NotificationMessage, RequestMessage } from '@rpc/core';
import { rpcError } from '@rpc/core';
import { Emitter, type Address, type Subscription } from '@rpc/loop';
import { defaultLoop, MsgServer, type Connection } from '@rpc/msg';
import { mprpcCodec } from './codec.js';
import { endpointOf } from './endpoint.js';
import { msgpackValues } from './framing.js';
import type { Handlers, Methods, MprpcHandler, Untyped } from './methods.js';
import { resolveHandlerOptions, type CommonOptions } from './options.js';
import { MprpcPeer } from './peer.js';

export interface MprpcServerOptions extends CommonOptions {
  /** TCP port (0 picks one), or the path of a Unix socket. */
  readonly port: number | string;
  /** The interface to bind (AnyEvent::MPRPC's `address`); all when undefined. `'unix/'` makes `port` a socket path. */
  readonly host?: string;
}

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
   * `peer` is undefined for a client that never got as far as connecting (a failed TLS handshake).
   */
  error: (error: Error, peer: MprpcPeer<Remote> | undefined) => void;
}

/**
 * AnyEvent::MPRPC::Server: a MessagePack-RPC server over TCP or a Unix
 * socket, typed by the methods it serves (`Local`) and those its clients
 * serve back (`Remote`). `await server.start()` listens; register methods
 * with regCb, before or after. Each method gets a result handle to answer
 * with, now or later, and for a notification none.
 */
export class MprpcServer<Local extends Methods<Local> = Untyped, Remote extends Methods<Remote> = Untyped>
  implements AsyncDisposable
{
  readonly #handlers = new Map<string, MprpcHandler>();
  /** Peers made by login, connected or not yet (a connection that closes before it connects is forgotten with it). */
  readonly #made = new WeakMap<Connection, MprpcPeer<Remote>>();
  readonly #peers = new Map<Connection, MprpcPeer<Remote>>();
  readonly #events = new Emitter<MprpcServerEvents<Remote>>();
  readonly #server: MsgServer;
  #closed = false;

  constructor(options: MprpcServerOptions) {
    const limits = resolveHandlerOptions(options.handlerOptions);
    const codec = mprpcCodec(limits.extensions);
    const loop = options.loop ?? defaultLoop();
    this.#server = new MsgServer({
      ...endpointOf(options.port, options.host, options.tls),
      loop,
      maxPacketSize: limits.maxMessageSize,
      framing: msgpackValues,
      login: (conn) => {
        const peer: MprpcPeer<Remote> = new MprpcPeer(conn, {
          ...limits,
          codec,
          loop,
          deadlineMs: options.deadlineMs,
          handlerFor: (method) => this.#handlers.get(method),
          onCall: (message) => this.#events.emit('call', peer, message),
          onError: (error) => this.#events.emit('error', error, peer),
        });
        this.#made.set(conn, peer);
        return conn.onMessage; // the peer's own
      },
    });
    this.#server.on('error', (error, conn) => this.#events.emit('error', error, conn && this.#made.get(conn)));
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
      if (error) this.#events.emit('error', error, peer);
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

  on<K extends keyof MprpcServerEvents<Remote>>(event: K, listener: MprpcServerEvents<Remote>[K]): Subscription {
    return this.#events.on(event, listener);
  }

  /** Stops listening and closes every connection. */
  close(): Promise<void> {
    this.#closed = true;
    return this.#server.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
