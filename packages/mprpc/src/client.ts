import type { Loop } from '@rpc/loop';
import { nodeLoop } from '@rpc/loop-node';
import { connect } from '@rpc/msg';
import { mprpcCodec } from './codec.js';
import { endpointOf } from './endpoint.js';
import { msgpackValues } from './framing.js';
import { resolveHandlerOptions, type CommonOptions } from './options.js';
import { MprpcPeer, type MprpcHandler } from './peer.js';

export interface MprpcClientOptions extends CommonOptions {
  /** The server's host (default 127.0.0.1), or `'unix/'` with `port` a socket path. */
  readonly host?: string;
  /** TCP port or Unix socket path. */
  readonly port: number | string;
  /** Give up connecting after this many ms. */
  readonly connectTimeoutMs?: number;
  /** Told when the connection fails or the server sends something that is not MessagePack-RPC. */
  readonly onError?: (fatal: boolean, message: string) => void;
}

/**
 * AnyEvent::MPRPC::Client: calls (answers matched by msgid, in any order,
 * many in flight) and notifications to a MessagePack-RPC server such as
 * `nvim --listen`. The server may call back: register methods with regCb.
 */
export class MprpcClient implements AsyncDisposable {
  readonly #options: MprpcClientOptions;
  readonly #handlers = new Map<string, MprpcHandler>();
  #peer: Promise<MprpcPeer> | undefined;

  constructor(options: MprpcClientOptions) {
    this.#options = options;
  }

  /** Connects (calls connect on their own when needed). */
  connect(): Promise<MprpcPeer> {
    this.#peer ??= this.#open();
    return this.#peer;
  }

  /** Calls `method` with `params`; resolves with the result, rejects with a RemoteError (MPRPC_REMOTE: `data` holds the server's error). */
  async call(method: string, ...params: unknown[]): Promise<unknown> {
    return (await this.connect()).call(method, params);
  }

  /** Sends a notification; resolves once it is queued (there is no answer). */
  async notify(method: string, ...params: unknown[]): Promise<void> {
    (await this.connect()).notify(method, params);
  }

  /** Methods the server may call on us. */
  regCb(callbacks: Readonly<Record<string, MprpcHandler>>): this {
    for (const [name, handler] of Object.entries(callbacks)) this.#handlers.set(name, handler);
    return this;
  }

  async close(): Promise<void> {
    const peer = this.#peer;
    this.#peer = undefined;
    await (await peer?.catch(() => undefined))?.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #open(): Promise<MprpcPeer> {
    const o = this.#options;
    const limits = resolveHandlerOptions(o.handlerOptions);
    const loop: Loop = o.loop ?? nodeLoop;
    const onError = (_peer: MprpcPeer, fatal: boolean, message: string): void => o.onError?.(fatal, message);
    let peer: MprpcPeer | undefined;
    const conn = await connect(
      endpointOf(o.port, o.host ?? '127.0.0.1', o.tls),
      (_conn, msg, error) => {
        if (msg !== undefined) return peer?.receive(msg);
        peer?.closed(error);
        if (error) o.onError?.(true, error.message);
        if (this.#peer !== undefined) this.#peer = undefined; // the next call reconnects
      },
      { loop, maxPacketSize: limits.maxMessageSize, framing: msgpackValues, ...(o.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: o.connectTimeoutMs }) },
    ).catch((error: unknown) => {
      this.#peer = undefined;
      throw error;
    });
    peer = new MprpcPeer(conn, { ...limits, codec: mprpcCodec(limits.extensions), loop, handlerFor: (method) => this.#handlers.get(method), onError });
    return peer;
  }
}

