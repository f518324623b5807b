import { connectionReport, type ConnectionReport, type ErrorCounts, type ServerStats } from '@rpc/core';
import type { Connection, ConnectionGate } from '@rpc/msg';
import type { Caller } from './caller.js';
import type { Multiplexer } from './multiplexer.js';

/** What a server keeps for one client. */
export interface Client {
  /** The server's number for it, in stats(). */
  readonly id: number;
  readonly connection: Connection;
  /** Its calls whose procedures have not returned. */
  readonly serving: Set<Caller<readonly unknown[]>>;
  served: number;
}

/**
 * A server's clients by connection, as io() routes their events, with the totals of those gone: what hasClients()
 * and stats() read.
 */
export class Clients {
  readonly #clients = new Map<Connection, Client>();
  #nextId = 1;
  /** What clients that have gone were served and carried. */
  readonly #gone = { served: 0, bytesIn: 0, bytesOut: 0 };

  get size(): number {
    return this.#clients.size;
  }

  get(connection: Connection): Client | undefined {
    return this.#clients.get(connection);
  }

  add(connection: Connection): Client {
    const client: Client = { id: this.#nextId++, connection, serving: new Set(), served: 0 };
    this.#clients.set(connection, client);
    return client;
  }

  /** Forgets `connection`'s client (its `closed` event): its figures go to the totals. */
  remove(connection: Connection): Client | undefined {
    const client = this.#clients.get(connection);
    if (client === undefined) return undefined;
    this.#clients.delete(connection);
    const stats = connection.stats();
    this.#gone.served += client.served;
    this.#gone.bytesIn += stats.bytesIn;
    this.#gone.bytesOut += stats.bytesOut;
    return client;
  }

  values(): IterableIterator<Client> {
    return this.#clients.values();
  }

  /** Calls being served, all clients together. */
  get serving(): number {
    let serving = 0;
    for (const client of this.#clients.values()) serving += client.serving.size;
    return serving;
  }

  /** The server's stats(): see AsyncServer.stats() for what they cannot know. */
  stats(gate: ConnectionGate, mux: Multiplexer, errors: ErrorCounts): ServerStats {
    const perConnection: ConnectionReport[] = [];
    let { served: callsServed, bytesIn, bytesOut } = this.#gone;
    let callsInFlight = 0;
    let callsQueued = 0;
    let bufferedBytes = gate.bufferedBytes; // the connections its listeners accepted
    for (const client of this.#clients.values()) {
      const report = reportOf(client, mux);
      bytesIn += report.bytesIn;
      bytesOut += report.bytesOut;
      callsServed += report.callsServed;
      const { connection } = client;
      if (connection.closed) continue; // gone, and io() has not had its `closed` event yet: not a client any more
      perConnection.push(report);
      callsInFlight += report.callsInFlight;
      callsQueued += report.callsQueued;
      // One added with addClient is not the gate's: its queue and partial message, as the gate counts them.
      if (!gate.holds(connection)) bufferedBytes += connection.queuedBytes + report.partialBytes;
    }
    return {
      connections: perConnection.length,
      refused: gate.refused,
      callsInFlight,
      callsQueued,
      callsServed,
      errors: errors.toJSON(),
      bufferedBytes,
      bytesIn,
      bytesOut,
      perConnection,
    };
  }
}

function reportOf(client: Client, mux: Multiplexer): ConnectionReport {
  const { connection } = client;
  return connectionReport(client.id, connection.remote, connection.stats(), {
    callsInFlight: client.serving.size,
    callsQueued: mux.queuedFor(connection),
    callsServed: client.served,
  });
}
