import { formatAddress, type Address, type RpcError } from '@rpc/loop';

/** A connection's traffic as `@rpc/msg`'s `conn.stats()` tells it. Times are milliseconds since the epoch. */
export interface TrafficFigures {
  /** When the connection was made. */
  readonly connectedAt: number;
  /** The last byte either way. */
  readonly lastActivityAt: number;
  /** Bytes received, framing included. */
  readonly bytesIn: number;
  /** Bytes sent, framing included. */
  readonly bytesOut: number;
  /** Bytes of answers queued and not yet handed to the operating system. */
  readonly queuedBytes: number;
  /** Bytes of a message begun and not yet complete. */
  readonly partialBytes: number;
}

/** A connection's calls as its server counts them. */
export interface CallFigures {
  /** Calls being served. */
  readonly callsInFlight: number;
  /** Calls received and waiting for the ones before them (Event::RPC's in-order requests). */
  readonly callsQueued: number;
  /** Calls answered since the connection opened. */
  readonly callsServed: number;
}

/** One connection's figures in a server's stats(). */
export interface ConnectionReport extends TrafficFigures, CallFigures {
  /** The server's number for the connection (Event::RPC's cid). */
  readonly id: number;
  /** The peer's address, as `formatAddress` writes it. */
  readonly remote: string;
}

/** One connection's line of stats(): its traffic, and its calls as its server counts them. */
export function connectionReport(
  id: number,
  remote: Address,
  traffic: TrafficFigures,
  calls: CallFigures,
): ConnectionReport {
  const { connectedAt, lastActivityAt, bytesIn, bytesOut, queuedBytes, partialBytes } = traffic;
  return {
    id,
    remote: formatAddress(remote),
    connectedAt,
    lastActivityAt,
    bytesIn,
    bytesOut,
    queuedBytes,
    partialBytes,
    ...calls,
  };
}

/** What every server's stats() reports; totals count connections that have closed too. */
export interface ServerStats {
  /** Connections open now, those still logging in included. */
  readonly connections: number;
  /** Connections closed at once for passing maxConnections or maxConnectionsPerAddress. */
  readonly refused: number;
  /** Calls being served now, all connections together. */
  readonly callsInFlight: number;
  /** Calls waiting for the ones before them, all connections together. */
  readonly callsQueued: number;
  /** Calls answered since the server started, closed connections' included. */
  readonly callsServed: number;
  /** Errors by code: what peers sent wrong, limits they reached, answers that could not be sent. */
  readonly errors: Readonly<Record<string, number>>;
  /** Bytes held in send queues and partial messages, all connections together (what maxBufferedBytes bounds). */
  readonly bufferedBytes: number;
  /** Bytes received since the server started, closed connections' included. */
  readonly bytesIn: number;
  /** Bytes sent since the server started, closed connections' included. */
  readonly bytesOut: number;
  /** One line per open connection. */
  readonly perConnection: readonly ConnectionReport[];
}

/** Errors counted by code, for stats(). */
export class ErrorCounts {
  readonly #counts = new Map<string, number>();

  /** Counts one more error of `error`'s code (or of the code given). */
  count(error: RpcError | string): void {
    const code = typeof error === 'string' ? error : error.code;
    this.#counts.set(code, (this.#counts.get(code) ?? 0) + 1);
  }

  /** The counts by code, as `stats().errors` reports them. */
  toJSON(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }
}
