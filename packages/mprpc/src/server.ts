import { Emitter, type Address, type Loop, type Subscription } from '@rpc/loop';
import { nodeLoop } from '@rpc/loop-node';
import { MsgServer } from '@rpc/msg';
import { mprpcCodec } from './codec.js';
import { endpointOf } from './endpoint.js';
import { msgpackValues } from './framing.js';
import { resolveHandlerOptions, type CommonOptions } from './options.js';
import { MprpcPeer, type MprpcHandler } from './peer.js';

export interface MprpcServerOptions extends CommonOptions {
  /** TCP port (0 picks one), or the path of a Unix socket. */
  readonly port: number | string;
  /** The interface to bind; all when undefined. `'unix/'` makes `port` a socket path. */
  readonly address?: string;
  /** A connection failed or misbehaved (AnyEvent::Handle's on_error): `fatal` when it was closed over it. */
  readonly onError?: (peer: MprpcPeer, fatal: boolean, message: string) => void;
  /** A client closed its connection (on_eof). */
  readonly onEof?: (peer: MprpcPeer) => void;
}

interface ServerEvents {
  connection: (peer: MprpcPeer) => void;
}

/**
 * AnyEvent::MPRPC::Server: a MessagePack-RPC server over TCP or a Unix
 * socket. It starts listening when made (`await server.ready` for the
 * address); register methods with regCb. Each method gets a result handle
 * to answer with, now or later, and for a notification none.
 */
export class MprpcServer implements AsyncDisposable {
  /** Resolves with the bound address, or rejects (address in use, ...). */
  readonly ready: Promise<Address>;
  readonly #handlers = new Map<string, MprpcHandler>();
  readonly #peers = new Set<MprpcPeer>();
  readonly #events = new Emitter<ServerEvents>();
  #server: MsgServer | undefined;

  constructor(options: MprpcServerOptions) {
    const limits = resolveHandlerOptions(options.handlerOptions);
    const codec = mprpcCodec(limits.extensions);
    const loop: Loop = options.loop ?? nodeLoop;
    const onError = options.onError ?? (() => undefined);
    this.ready = new MsgServer({
      ...endpointOf(options.port, options.address, options.tls),
      login: (conn) => {
        const peer = new MprpcPeer(conn, { ...limits, codec, loop, handlerFor: (method) => this.#handlers.get(method), onError });
        this.#peers.add(peer);
        this.#events.emit('connection', peer);
        return (_conn, msg, error) => {
          if (msg !== undefined) return peer.receive(msg);
          this.#peers.delete(peer);
          peer.closed(error);
          if (error) onError(peer, true, error.message);
          else options.onEof?.(peer);
        };
      },
      loop,
      maxPacketSize: limits.maxMessageSize,
      framing: msgpackValues,
    }).start().then((server) => {
      this.#server = server;
      return server.address;
    });
    this.ready.catch(() => undefined); // a failure is the caller's to see through `ready`
  }

  /** Registers methods by name: `server.regCb({ sum: (res, a, b) => res?.result(a + b) })`. */
  regCb(callbacks: Readonly<Record<string, MprpcHandler>>): this {
    for (const [name, handler] of Object.entries(callbacks)) this.#handlers.set(name, handler);
    return this;
  }

  /** Clients connected now; each can be called back (`peer.call`, `peer.notify`). */
  get peers(): ReadonlySet<MprpcPeer> {
    return this.#peers;
  }

  on<K extends keyof ServerEvents>(event: K, listener: ServerEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    await this.#server?.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
