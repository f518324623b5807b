import type { Loop, TlsOptions } from '@rpc/loop';
import { mprpcError } from './errors.js';

/** Limits and settings of every MessagePack-RPC connection (AnyEvent::MPRPC's handler_options). */
export interface HandlerOptions {
  /** Largest message either way, checked as its headers arrive, before its bytes are kept (default 64 MiB). */
  readonly maxMessageSize?: number;
  /** Requests from the peer served at once; more are answered with an error at once (default 1024). */
  readonly maxInFlight?: number;
  /** Our own calls waiting for answers at once; more are refused with RPC_TOO_MANY_CALLS (default 65536). */
  readonly maxCalls?: number;
  /** Extension types kept as MsgpackExtension values (default: all that msgpackr leaves free, neovim's 0-2 too). */
  readonly extensions?: readonly number[];
}

/** What servers and clients share. */
export interface CommonOptions {
  readonly handlerOptions?: HandlerOptions;
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
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw mprpcError('MPRPC_INVALID_OPTION', `${name} must be a positive whole number, got ${value}`);
  }
  return value;
}

export function resolveHandlerOptions(options: HandlerOptions = {}): ResolvedHandlerOptions {
  return {
    maxMessageSize: positive('maxMessageSize', options.maxMessageSize ?? 64 * 1024 * 1024),
    maxInFlight: positive('maxInFlight', options.maxInFlight ?? 1024),
    maxCalls: positive('maxCalls', options.maxCalls ?? 65536),
    extensions: options.extensions,
  };
}
