import * as net from 'node:net';
import { MsgServer, type Connection, type MsgOptions } from '@rpc/msg';
import type { Address, Endpoint } from '@rpc/loop';
import { disposableSocket } from '@rpc/testkit';

export const local: Endpoint = { host: '127.0.0.1', port: 0 };
export const text = new TextDecoder();

/** A server that answers every message with the same bytes, queued with sendLater. */
export function echoServer(endpoint: Endpoint = local, options?: MsgOptions): Promise<MsgServer> {
  return new MsgServer({
    ...endpoint,
    login: () => (conn: Connection, msg: Uint8Array | undefined) => {
      if (msg !== undefined) conn.sendLater(msg);
    },
    ...options,
  }).start();
}

/**
 * A plain node:net socket to a server, for writing bytes the framing layer would never produce; `await using`
 * destroys it.
 */
export function rawSocket(
  server: { readonly address: Address },
  options: { allowHalfOpen?: boolean } = {},
): Promise<net.Socket & AsyncDisposable> {
  const { port } = server.address as { port: number };
  return new Promise((resolve, reject) => {
    const socket = disposableSocket(
      net.connect({ port, host: '127.0.0.1', ...options }, () => resolve(socket)).on('error', reject),
    );
    socket.setNoDelay(true);
  });
}

export function u32(n: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, n);
  return bytes;
}

export function readU32(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
}
