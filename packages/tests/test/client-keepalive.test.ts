// The client's keep-alive: a quiet, healthy connection is pinged and stays; a server that vanished without
// closing (here a proxy that stops forwarding, as a pulled cable does) is noticed and the connection given up.
import * as net from 'node:net';
import { Client } from '@rpc/client';
import { MemoryTransport, RxLoop, runInVirtualTime } from '@rpc/loop-rxjs';
import { Server } from '@rpc/server';
import { disposableServer, waitFor } from '@rpc/testkit';
import { VirtualTimeScheduler } from 'rxjs';
import { type EventRpcTest, testClasses } from '../src/test-classes.js';
import { pair } from './rpc-helpers.js';

/** A TCP proxy to `port` that forwards until frozen, then keeps both sockets open and silent. */
async function blackHoleProxy(port: number) {
  let frozen = false;
  const sockets = new Set<net.Socket>();
  const server = disposableServer(
    net.createServer((inbound) => {
      const outbound = net.connect(port, '127.0.0.1');
      for (const [from, to] of [
        [inbound, outbound],
        [outbound, inbound],
      ] as const) {
        sockets.add(from);
        from.on('data', (chunk) => frozen || to.write(chunk));
        from.on('error', () => undefined);
        from.on('close', () => to.destroy());
      }
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze: () => void (frozen = true),
    [Symbol.asyncDispose]: async () => {
      for (const socket of sockets) socket.destroy();
      await server[Symbol.asyncDispose]();
    },
  };
}

describe('keepAliveMs', () => {
  /** Versions the server was asked for over ten quiet virtual minutes, the handshake's included. */
  async function versionsAsked(keepAliveMs: number): Promise<number> {
    const scheduler = new VirtualTimeScheduler();
    const loop = new RxLoop({ scheduler, transport: new MemoryTransport(scheduler) });
    return runInVirtualTime(scheduler, async () => {
      await using server = await new Server({ host: '127.0.0.1', port: 0, classes: testClasses, loop }).start();
      let versions = 0;
      server.on('call', (_connection, request) => void (request.cmd === 'version' && versions++));
      await using client = await new Client({ host: '127.0.0.1', port: server.port, keepAliveMs, loop }).connect();
      await new Promise<void>((resolve) => loop.timer(600_000, resolve));
      expect(client.connected).toBe(true);
      return versions;
    });
  }

  it('pings a quiet server, at most once per two intervals, which keeps the connection', async () => {
    const versions = await versionsAsked(10_000);
    expect(versions).toBeGreaterThanOrEqual(1 + 600 / 20);
    expect(versions).toBeLessThanOrEqual(1 + 600 / 10);
  });

  it('is off with 0', async () => {
    expect(await versionsAsked(0)).toBe(1);
  });

  it('gives up a connection whose server stopped answering, failing the calls that waited', async () => {
    await using p = await pair();
    await using proxy = await blackHoleProxy(p.server.port);
    await using client = await new Client({ host: '127.0.0.1', port: proxy.port, keepAliveMs: 200 }).connect();
    const disconnects: Array<Error | undefined> = [];
    client.on('disconnect', (error) => disconnects.push(error));
    const obj = await client.remoteClass<EventRpcTest>('Event_RPC_Test').new({ data: 1 });
    const waiting = obj.wait(600_000, 'never');
    await waitFor(() => p.server.stats().callsInFlight === 1, 'the call to run');
    proxy.freeze();
    await expect(waiting).rejects.toMatchObject({ code: 'RPC_DISCONNECTED' });
    await waitFor(() => disconnects.length === 1, 'the client to give the connection up');
    expect(disconnects[0]).toMatchObject({
      code: 'RPC_DEADLINE',
      message: 'no answer to a keep-alive ping within 200 ms',
    });
    expect(client.connected).toBe(false);
  });
});
