import type { Codec } from '@rpc/codec';
import { rpcError } from '@rpc/core';
import type { TlsOptions } from '@rpc/loop';
import type { MsgOptions } from '@rpc/msg';
import type { ConnectionGateOptions } from '@rpc/msg';
import type { Multiplexer } from './multiplexer.js';
import type { ProcedureMap, Procedures, Untyped } from './procedures.js';

/** The limits of each connection a server's listeners accept, over the multiplexer's own (`@rpc/msg`'s defaults). */
type ConnectionLimits = Pick<MsgOptions, 'maxQueueBytes' | 'sendTimeoutMs' | 'messageTimeoutMs' | 'idleTimeoutMs'>;

/**
 * What `new AsyncServer()` takes: the multiplexer, the procedures, where to listen, and the limits on clients and their
 * connections.
 */
export interface AsyncServerOptions<Api extends Procedures<Api> = Untyped>
  extends ConnectionLimits,
    Omit<ConnectionGateOptions, 'onRefused'> {
  /** The multiplexer whose events this server takes through io() (RPC::Async's $mux). */
  readonly mux: Multiplexer;
  /** The procedures, by name (RPC::Async's rpc_NAME subs of $package). */
  readonly procedures: ProcedureMap<Api>;
  /** Interface to bind (default: all). */
  readonly host?: string;
  /** TCP port; 0 (the default) picks a free one, which `address` then reports. */
  readonly port?: number;
  /** A Unix socket path to listen on instead of a TCP port. */
  readonly path?: string;
  /** Serve over TLS with these node:tls options (`key`, `cert`, ...); `handshakeTimeout` defaults to 10 s. */
  readonly tls?: TlsOptions;
  /** Message format (default: `@rpc`'s MessagePack). */
  readonly codec?: Codec;
  /** Calls of one client served at once; more are answered at once with an error (RPC_LIMIT; default 1024). */
  readonly maxInFlight?: number;
  /** How long close() lets calls in flight return before answering them with RPC_SHUTDOWN (default 5 s; 0: none). */
  readonly shutdownTimeoutMs?: number;
}

/** Node's TLS handshake timeout is 120 s; a client that never says hello is dropped sooner, as MsgServer does. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

function check(name: string, value: number | undefined, ok: (value: number) => boolean, what: string): void {
  if (value !== undefined && !ok(value)) throw rpcError('RPC_INVALID_OPTION', `${name} must be ${what}, got ${value}`);
}

const whole = (value: number): boolean => Number.isInteger(value) && value > 0;
const positive = (value: number): boolean => value > 0;
const orZero = (value: number): boolean => value >= 0;

/**
 * Checks the limits now, rather than when a connection comes (where a throw would be in the loop's accept callback);
 * the gate's own are checked by the gate.
 */
export function checkServerOptions(
  options: Pick<AsyncServerOptions, 'maxInFlight' | 'shutdownTimeoutMs' | keyof ConnectionLimits>,
): void {
  check('maxInFlight', options.maxInFlight, whole, 'a positive whole number');
  check('maxQueueBytes', options.maxQueueBytes, whole, 'a positive whole number');
  check('sendTimeoutMs', options.sendTimeoutMs, positive, 'a positive number of ms');
  check('messageTimeoutMs', options.messageTimeoutMs, positive, 'a positive number of ms');
  check('idleTimeoutMs', options.idleTimeoutMs, orZero, 'a number of ms, or 0 for none');
  check('shutdownTimeoutMs', options.shutdownTimeoutMs, orZero, 'a number of ms, or 0 for none');
}
