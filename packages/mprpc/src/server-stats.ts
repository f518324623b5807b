import type { ConnectionReport, ErrorCounts, ServerStats } from '@rpc/core';
import { formatAddress } from '@rpc/loop';
import type { Connection, MsgServerStats } from '@rpc/msg';

/** What the server knows of one client, beside its Connection. */
export interface PeerFigures {
  readonly id: number;
  /** Requests being served, and answered so far. */
  readonly serving: number;
  readonly served: number;
}

/** One client's line of stats(), from its connection's figures and its peer's. */
export function connectionReport(conn: Connection, peer: PeerFigures): ConnectionReport {
  const stats = conn.stats();
  return {
    id: peer.id,
    remote: formatAddress(conn.remote),
    connectedAt: stats.connectedAt,
    lastActivityAt: stats.lastActivityAt,
    bytesIn: stats.bytesIn,
    bytesOut: stats.bytesOut,
    queuedBytes: stats.queuedBytes,
    partialBytes: stats.partialBytes,
    callsInFlight: peer.serving,
    callsQueued: 0, // MessagePack-RPC serves each request as it comes: none waits for another
    callsServed: peer.served,
  };
}

/**
 * The server's stats(): connections, refusals, buffered bytes and traffic as MsgServer counts them; calls from the
 * peers; `servedBefore` counts the calls of clients that have gone.
 */
export function serverStats(
  msg: MsgServerStats,
  perConnection: readonly ConnectionReport[],
  servedBefore: number,
  errors: ErrorCounts,
): ServerStats {
  let callsInFlight = 0;
  let callsServed = servedBefore;
  for (const report of perConnection) {
    callsInFlight += report.callsInFlight;
    callsServed += report.callsServed;
  }
  return {
    connections: msg.connections,
    refused: msg.refused,
    callsInFlight,
    callsQueued: 0,
    callsServed,
    errors: errors.toJSON(),
    bufferedBytes: msg.bufferedBytes,
    bytesIn: msg.bytesIn,
    bytesOut: msg.bytesOut,
    perConnection,
  };
}
