import type { Address, Channel, RpcError } from '@rpc/loop';
import { ByteBudget } from './byte-budget.js';
import type { Connection } from './connection.js';
import { msgError } from './errors.js';

/** The limits of a {@link ConnectionGate}. */
export interface ConnectionGateOptions {
  /** Connections open at once; more are closed as they come (default 10,000, as MsgServer). */
  readonly maxConnections?: number;
  /** Connections open at once from one IP address (default 256; Unix sockets are not counted). */
  readonly maxConnectionsPerAddress?: number;
  /** Bytes all connections together may hold in send queues and partial messages (default 64 MiB). */
  readonly maxBufferedBytes?: number;
  /** Told of each connection refused (MSG_TOO_MANY_CONNECTIONS), which was closed at once. */
  readonly onRefused?: (error: RpcError) => void;
}

function whole(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0)
    throw msgError('MSG_INVALID_OPTION', `${name} must be a positive whole number, got ${value}`);
  return value;
}

/**
 * What the connections accepted by one or more listeners share: how many are
 * open, how many from one address, and the memory they hold in send queues
 * and partial messages. Each MsgServer has one; give one to RPC::Async's
 * `mux.listen(endpoint, { gate })` to share it among listeners.
 */
export class ConnectionGate {
  readonly #maxConnections: number;
  readonly #maxPerAddress: number;
  readonly #bytes: ByteBudget;
  readonly #onRefused: ((error: RpcError) => void) | undefined;
  /** Open connections by IP address. */
  readonly #perAddress = new Map<string, number>();
  readonly #connections = new WeakSet<Connection>();
  #open = 0;
  #refused = 0;

  constructor(options: ConnectionGateOptions = {}) {
    this.#maxConnections = whole('maxConnections', options.maxConnections ?? 10_000);
    this.#maxPerAddress = whole('maxConnectionsPerAddress', options.maxConnectionsPerAddress ?? 256);
    this.#bytes = new ByteBudget(whole('maxBufferedBytes', options.maxBufferedBytes ?? 64 * 1024 * 1024));
    this.#onRefused = options.onRefused;
  }

  /** Connections admitted and not yet closed. */
  get open(): number {
    return this.#open;
  }

  /** Connections closed at once for passing maxConnections or maxConnectionsPerAddress. */
  get refused(): number {
    return this.#refused;
  }

  /** Bytes held in send queues and partial messages, all connections together (what maxBufferedBytes bounds). */
  get bufferedBytes(): number {
    return this.#bytes.used;
  }

  /** Whether `connection` was admitted here (its bytes are in bufferedBytes). */
  holds(connection: Connection): boolean {
    return this.#connections.has(connection);
  }

  /** Counts `channel` in, or closes it (and says so) if it would pass a limit. */
  admit(channel: Channel): boolean {
    const address = 'host' in channel.remote ? channel.remote.host : undefined;
    const open = address === undefined ? 0 : (this.#perAddress.get(address) ?? 0);
    if (this.#open < this.#maxConnections && open < this.#maxPerAddress) {
      this.#open++;
      if (address !== undefined) this.#perAddress.set(address, open + 1);
      return true;
    }
    this.#refused++;
    channel.destroy();
    const where = address ?? 'a Unix socket';
    const error = msgError('MSG_TOO_MANY_CONNECTIONS', `refused a connection from ${where}: too many connections`, {
      data: { address },
    });
    try {
      this.#onRefused?.(error);
    } catch {
      // We are in the loop's accept callback: a throw would end the process, and there is nobody else to tell.
    }
    return false;
  }

  /** The memory the admitted channels' Connections share: give it to their constructor. */
  get budget(): ByteBudget {
    return this.#bytes;
  }

  /** Counts `connection` (of an admitted channel) out again when it closes. */
  track(connection: Connection): void {
    this.#connections.add(connection);
    const remote = connection.remote;
    connection.on('disconnect', () => this.release(remote));
  }

  /** Counts out a connection admitted from `remote` (closed, or never made). */
  release(remote: Address): void {
    this.#open--;
    if (!('host' in remote)) return;
    const open = (this.#perAddress.get(remote.host) ?? 1) - 1;
    if (open === 0) this.#perAddress.delete(remote.host);
    else this.#perAddress.set(remote.host, open);
  }
}
