import * as net from 'node:net';
import type { ServerStats } from '@rpc/core';
import { disposableSocket } from '@rpc/testkit';

/** A raw client that writes what it is given and never reads a byte. */
export async function silentClient(port: number): Promise<net.Socket & AsyncDisposable> {
  const socket = disposableSocket(net.connect(port, '127.0.0.1'));
  socket.pause();
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

/** What of a server's stats() must be zero once every client has gone. */
export const settled = (stats: ServerStats) => ({
  connections: stats.connections,
  callsInFlight: stats.callsInFlight,
  callsQueued: stats.callsQueued,
  bufferedBytes: stats.bufferedBytes,
  perConnection: stats.perConnection.length,
});

export const zero = { connections: 0, callsInFlight: 0, callsQueued: 0, bufferedBytes: 0, perConnection: 0 };
