import { CodecRegistry } from '@rpc/codec';
import { cborCodec } from '@rpc/codec-cbor';
import { jsonCodec } from '@rpc/codec-json';
import { msgpackCodec } from '@rpc/codec-msgpack';
import { CallError, ClassRegistry, Dispatcher } from '@rpc/core';
import { nodeLoop } from '@rpc/loop-node';
import { DEFAULT_MAX_PACKET_SIZE, newServer, type MsgServer } from '@rpc/msg';
import { ConsoleLogger } from './logger.js';
import type { ServerOptions, ServerSettings } from './options.js';
import { activeCall, ServerConnection, type ConnectionHost } from './server-connection.js';

const DEFAULTS: Omit<ServerSettings, 'classes'> = {
  port: 0,
  host: undefined,
  name: 'Event::RPC server',
  logger: undefined,
  startLogListener: false,
  connectionHook: undefined,
  messageFormats: [],
  insecureFormatsOk: false,
  maxPacketSize: DEFAULT_MAX_PACKET_SIZE,
  loop: undefined,
};

/** Every option is also a property, readable always and settable until start(), like Event::RPC's get_/set_ accessors. */
export interface Server extends ServerSettings {}

/**
 * An Event::RPC server: exports classes to Perl Event::RPC clients and to
 * @rpc clients, over the Msg framing, in any negotiated format.
 */
export class Server {
  readonly #settings: ServerSettings;
  readonly #connections = new Set<ServerConnection>();
  #msg: MsgServer | undefined;
  #nextCid = 1;
  #started = false;

  static #latest: Server | undefined;

  constructor(options: ServerOptions) {
    this.#settings = { ...DEFAULTS, ...options };
    new ClassRegistry(this.#settings.classes); // check the classes now, not at the first call
    Server.#latest = this;
  }

  /** The server created last (Event::RPC::Server->instance), for exported code that needs it. */
  static get instance(): Server | undefined {
    return Server.#latest;
  }

  static {
    for (const key of [...Object.keys(DEFAULTS), 'classes'] as Array<keyof ServerSettings>) {
      Object.defineProperty(Server.prototype, key, {
        get(this: Server) {
          return this.#settings[key];
        },
        set(this: Server, value: never) {
          if (this.#started) throw new CallError('RPC_STARTED', `cannot set ${key} after the server has started`);
          this.#settings[key] = value;
        },
      });
    }
  }

  /** The connection whose call is being served (undefined outside a call); right under concurrent async calls. */
  get activeConnection(): ServerConnection | undefined {
    return activeCall.getStore()?.connection;
  }

  /** The signal of the call being served: aborted when an @rpc client cancels it or its deadline passes. */
  get activeSignal(): AbortSignal | undefined {
    return activeCall.getStore()?.signal;
  }

  get clientsConnected(): number {
    return this.#connections.size;
  }

  get connections(): ReadonlySet<ServerConnection> {
    return this.#connections;
  }

  /** Logs through the configured logger: `log(msg)` at level 1, or `log(level, msg)`. */
  log(levelOrMessage: number | string, message?: string): void {
    const [level, text] = typeof levelOrMessage === 'number' ? [levelOrMessage, message ?? ''] : [1, levelOrMessage];
    (this.#settings.logger ??= new ConsoleLogger()).log(level, text);
  }

  /** Opens the listeners without entering the loop, for programs that run their own. */
  async setupListeners(): Promise<void> {
    if (this.#started) throw new CallError('RPC_STARTED', 'the server has already started');
    this.#started = true;
    const s = this.#settings;
    const formats = new CodecRegistry(s.messageFormats.length > 0 ? s.messageFormats : [msgpackCodec(), cborCodec(), jsonCodec()]);
    const host: ConnectionHost = {
      dispatcher: new Dispatcher(new ClassRegistry(s.classes)),
      formats,
      insecureFormatsOk: s.insecureFormatsOk,
      maxPacketSize: s.maxPacketSize,
      authRequired: false,
      log: (level, text) => this.log(level, text),
    };
    const loop = s.loop ?? nodeLoop;
    this.#msg = await newServer(
      { host: s.host, port: s.port },
      (conn) => {
        const connection = new ServerConnection(this.#nextCid++, conn, host);
        this.#connections.add(connection);
        this.log(2, `cid=${connection.cid}: new connection from ${JSON.stringify(connection.remote)}`);
        s.connectionHook?.(connection, 'connect');
        return (_conn, msg) => {
          if (msg !== undefined) return connection.receive(msg);
          connection.close();
          this.#connections.delete(connection);
          this.log(2, `cid=${connection.cid}: client disconnected`);
          s.connectionHook?.(connection, 'disconnect');
        };
      },
      { loop, maxPacketSize: s.maxPacketSize },
    );
    this.#msg.on('error', (error) => this.log(1, error.message));
    const address = this.#msg.address;
    if ('port' in address) s.port = address.port;
    this.log(1, `${s.name}: listening on ${s.host ?? '*'}:${s.port}, formats ${formats.names().join(',')}`);
  }

  /** Listens and runs the loop until stop(). */
  async start(): Promise<void> {
    await this.setupListeners();
    await (this.#settings.loop ?? nodeLoop).enter();
  }

  /** Closes the listeners and every connection, and leaves the loop. */
  async stop(): Promise<void> {
    await this.#msg?.close();
    (this.#settings.loop ?? nodeLoop).leave();
  }
}
