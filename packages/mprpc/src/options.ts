import type { Loop, TlsOptions } from '@rpc/loop';
import { mprpcError } from './errors.js';

/**
 * What one connection may make us spend, and its settings: AnyEvent::MPRPC's handler_options, which it hands to each
 * connection's AnyEvent::Handle (whose timeouts and buffer limits these are). Left out, @rpc/msg's defaults apply.
 */
export interface HandlerOptions {
  /** Largest message either way, checked as its headers arrive, before its bytes are kept (default 16 MiB). */
  readonly maxMessageSize?: number;
  /** Requests from the peer served at once; more are answered with an error at once (default 1024). */
  readonly maxInFlight?: number;
  /** Our own calls waiting for answers at once; more are refused with RPC_TOO_MANY_CALLS (default 65536). */
  readonly maxCalls?: number;
  /** Bytes of answers queued for a peer that is not reading; past half of it, its requests are not read (16 MiB). */
  readonly maxQueueBytes?: number;
  /** How long a peer may read nothing of a queue past half full before it is closed (default 30 s). */
  readonly sendTimeoutMs?: number;
  /** How long one message may take to arrive once its first byte has (default 60 s). */
  readonly messageTimeoutMs?: number;
  /** Close a connection after this long without a byte either way (default 0: never). */
  readonly idleTimeoutMs?: number;
  /** Extension types kept as MsgpackExtension values (default: all that msgpackr leaves free, neovim's 0-2 too). */
  readonly extensions?: readonly number[];
}

/** A server's handlerOptions: each connection's, and what all its connections share. */
export interface ServerHandlerOptions extends HandlerOptions {
  /** Connections open at once; more are closed as they come (default 10,000). */
  readonly maxConnections?: number;
  /** Connections open at once from one IP address (default 256; Unix sockets are not counted). */
  readonly maxConnectionsPerAddress?: number;
  /** Bytes all connections together may hold in send queues and partial messages (default 64 MiB). */
  readonly maxBufferedBytes?: number;
}

/** What servers and clients share. */
export interface CommonOptions {
  /** Limits on what each connection may make us spend (AnyEvent::MPRPC's handler_options). */
  readonly handlerOptions?: HandlerOptions;
  /** Speak TLS with these node:tls options (a server's `key` and `cert`; a client's `ca`, `servername`, ...). */
  readonly tls?: TlsOptions;
  /** The loop (default: the platform's, from @rpc/msg: Node's, or a WebSocket to the page's host in browsers). */
  readonly loop?: Loop;
  /** Default deadline of our calls in ms (none by default); a call may set its own with callWith. */
  readonly deadlineMs?: number;
}

export interface ResolvedHandlerOptions {
  readonly maxMessageSize: number;
  readonly maxInFlight: number;
  readonly maxCalls: number;
  readonly extensions: readonly number[] | undefined;
  /** What goes to each @rpc/msg Connection (undefined: msg's default). */
  readonly connection: {
    readonly maxQueueBytes: number | undefined;
    readonly sendTimeoutMs: number | undefined;
    readonly messageTimeoutMs: number | undefined;
    readonly idleTimeoutMs: number | undefined;
  };
}

/** MessagePack-RPC's largest message by default: @rpc/msg's, and 4 times grpc-js's 4 MiB receive limit. */
const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;
/** How long close() lets calls in flight finish before answering them with RPC_SHUTDOWN (default 5 s). */
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;

function whole(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw mprpcError('MPRPC_INVALID_OPTION', `${name} must be a positive whole number, got ${value}`);
  }
  return value;
}

/** A time in ms, given or not; `zero` allows 0 (never). */
function time(name: string, value: number | undefined, zero = false): number | undefined {
  if (value === undefined || value > 0 || (zero && value === 0)) return value;
  throw mprpcError('MPRPC_INVALID_OPTION', `${name} must be a positive number of ms, got ${value}`);
}

const optionalWhole = (name: string, value: number | undefined): number | undefined =>
  value === undefined ? undefined : whole(name, value);

export function resolveHandlerOptions(options: HandlerOptions = {}): ResolvedHandlerOptions {
  return {
    maxMessageSize: whole('maxMessageSize', options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE),
    maxInFlight: whole('maxInFlight', options.maxInFlight ?? 1024),
    maxCalls: whole('maxCalls', options.maxCalls ?? 65536),
    extensions: options.extensions,
    connection: {
      maxQueueBytes: optionalWhole('maxQueueBytes', options.maxQueueBytes),
      sendTimeoutMs: time('sendTimeoutMs', options.sendTimeoutMs),
      messageTimeoutMs: time('messageTimeoutMs', options.messageTimeoutMs),
      idleTimeoutMs: time('idleTimeoutMs', options.idleTimeoutMs, true),
    },
  };
}

/** The limits a server's connections share, checked now (undefined: msg's default). */
export function resolveServerLimits(options: ServerHandlerOptions = {}) {
  return {
    maxConnections: optionalWhole('maxConnections', options.maxConnections),
    maxConnectionsPerAddress: optionalWhole('maxConnectionsPerAddress', options.maxConnectionsPerAddress),
    maxBufferedBytes: optionalWhole('maxBufferedBytes', options.maxBufferedBytes),
  };
}

/** shutdownTimeoutMs, checked: how long close() waits for calls in flight. */
export function resolveShutdownTimeout(value: number | undefined): number {
  return time('shutdownTimeoutMs', value ?? DEFAULT_SHUTDOWN_TIMEOUT_MS, true) as number;
}
