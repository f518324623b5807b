import type { ConnectionReport, ErrorCounts, ServerStats } from '@rpc/core';
import type { MsgServerStats } from '@rpc/msg';

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
