import type { Endpoint } from '@rpc/loop';
import { Connection, type MessageHandler } from './connection.js';
import { resolveOptions, type MsgOptions } from './options.js';

/** How {@link connect} connects, and the options of the connection it makes. */
export interface ConnectOptions extends MsgOptions {
  /** Give up connecting after this many milliseconds (LOOP_CONNECT_TIMEOUT). */
  readonly connectTimeoutMs?: number;
  /** Abort connecting (LOOP_ABORTED). */
  readonly signal?: AbortSignal;
}

/**
 * Connects to a Msg peer. With `onMessage`, every message goes to it;
 * without, messages wait for receive() or async iteration.
 */
export async function connect(
  endpoint: Endpoint,
  onMessage?: MessageHandler,
  options: ConnectOptions = {},
): Promise<Connection> {
  const resolved = resolveOptions(options);
  const channel = await resolved.loop.connect(
    { ...endpoint, maxMessageSize: resolved.maxPacketSize },
    { connectTimeoutMs: options.connectTimeoutMs, signal: options.signal },
  );
  return new Connection(channel, resolved, onMessage);
}
