import * as net from 'node:net';
import { AsyncClient, AsyncServer, Multiplexer, type MuxEvent } from '@rpc/async';
import { Client, crypt } from '@rpc/client';
import type { Address } from '@rpc/loop';
import { MprpcClient, MprpcServer } from '@rpc/mprpc';
import { MsgServer, connect } from '@rpc/msg';
import { Server, type ServerConnection } from '@rpc/server';
import { disposableServer, disposableSocket, waitFor } from '@rpc/testkit';
import { adapters } from '../src/adapters.js';
import { startServer } from './rpc-helpers.js';

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
const accepting = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const portOf = (address: Address): number => ('port' in address ? address.port : 0);

/** A listening node:net server on a port whose predecessor is free: the Event::RPC log listener's place (port + 1). */
async function blockNextPort(): Promise<{ port: number } & AsyncDisposable> {
  for (;;) {
    const blocker = disposableServer(net.createServer((socket) => socket.destroy()));
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    if (!(await accepting(taken - 1)))
      return { port: taken - 1, [Symbol.asyncDispose]: () => blocker[Symbol.asyncDispose]() };
    await blocker[Symbol.asyncDispose]();
  }
}

describe('a start() or connect() that fails leaves nothing open, so there is nothing to close', () => {
  it('a Server whose log listener cannot listen closes its main listener again', async () => {
    await using free = await blockNextPort();
    const server = new Server({ host: '127.0.0.1', port: free.port, startLogListener: true, classes: {} });
    await expect(server.start()).rejects.toMatchObject({ code: 'LOOP_ADDRESS_IN_USE' });
    expect(await accepting(free.port)).toBe(false);
    await expect(server.start()).rejects.toMatchObject({ code: 'LOOP_ADDRESS_IN_USE' }); // the same failure, kept
  });

  it('a Client whose login is refused closes its half-made connection', async () => {
    await using server = await new Server({
      host: '127.0.0.1',
      port: 0,
      classes: {},
      authRequired: true,
      authPasswdHref: { fred: crypt('fred', 'secret') },
    }).start();
    let disconnects = 0;
    server.on('disconnect', () => disconnects++);
    const client = new Client({ host: '127.0.0.1', port: server.port, authUser: 'fred', authPass: 'wrong' });
    await expect(client.connect()).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    await waitFor(() => disconnects === 1, 'the server to see the client go');
    expect(server.clientsConnected).toBe(0);
  });

  it.each(adapters)(
    'a MsgServer, an MprpcServer and an AsyncServer on a taken port, on the $name loop',
    async (adapter) => {
      const loop = adapter.loop();
      await using taken = await new MsgServer({
        host: '127.0.0.1',
        port: 0,
        login: () => () => undefined,
        loop,
      }).start();
      const port = portOf(taken.address);
      const inUse = { code: 'LOOP_ADDRESS_IN_USE' };
      await expect(
        new MsgServer({ host: '127.0.0.1', port, login: () => undefined, loop }).start(),
      ).rejects.toMatchObject(inUse);
      await expect(new MprpcServer({ host: '127.0.0.1', port, loop }).start()).rejects.toMatchObject(inUse);
      await using mux = new Multiplexer({ loop });
      await expect(new AsyncServer({ mux, host: '127.0.0.1', port, procedures: {} }).start()).rejects.toMatchObject(
        inUse,
      );
    },
  );
});

/**
 * close() called twice at once: the second call must not resolve before the first one's work is done (a caller
 * that awaits it, as `await using` does after an explicit close, must find everything closed), and a third, later
 * call resolves too.
 */
async function closeTwice(thing: { close(): Promise<void> }, closed: () => Promise<boolean> | boolean): Promise<void> {
  void thing.close();
  await thing.close();
  expect(await closed()).toBe(true);
  await thing.close();
}

describe('close() twice at once resolves when the first close is done', () => {
  it.each(adapters)('a $name loop listener', async (adapter) => {
    const listener = await adapter.loop().listen({ host: '127.0.0.1', port: 0 }, (channel) => channel.destroy());
    const port = portOf(listener.address);
    await closeTwice(listener, async () => !(await accepting(port)));
  });

  it('a MsgServer and one of its connections', async () => {
    const server = await new MsgServer({ host: '127.0.0.1', port: 0, login: () => () => undefined }).start();
    const client = await connect(server.address, () => undefined);
    await waitFor(() => server.connections.size === 1, 'the server to accept');
    const [accepted] = server.connections;
    await closeTwice(client, () => client.closed);
    await waitFor(() => accepted?.closed === true, 'the server end to close');
    await closeTwice(server, async () => !(await accepting(portOf(server.address))));
  });

  it('an Event::RPC Server with its log listener, one of its connections, and a client', async () => {
    let session: ServerConnection | undefined;
    const server = await startServer((port) => {
      const made = new Server({ host: '127.0.0.1', port, startLogListener: true, classes: {} });
      made.on('connect', (connection) => (session = connection));
      return made;
    });
    const port = server.port;
    expect(await accepting(port + 1)).toBe(true); // the log listener
    const client = new Client({ host: '127.0.0.1', port });
    await client.connect();
    await waitFor(() => session !== undefined, 'the server to see the client');
    let gone = false;
    client.on('disconnect', () => (gone = true));
    await closeTwice(session as ServerConnection, () =>
      waitFor(() => gone, 'the client to see the end').then(() => true),
    );
    await closeTwice(client, () => true);
    await closeTwice(server, async () => !(await accepting(port)) && !(await accepting(port + 1)));
  });

  it('an MprpcServer, one of its peers, and a client', async () => {
    const server = await new MprpcServer({ host: '127.0.0.1', port: 0 }).start();
    const port = portOf(server.address);
    const client = await new MprpcClient({ host: '127.0.0.1', port }).connect();
    await waitFor(() => server.peers.size === 1, 'the server to accept');
    const [peer] = server.peers;
    let gone = false;
    client.on('disconnect', () => (gone = true));
    await closeTwice(peer as NonNullable<typeof peer>, () => waitFor(() => gone, 'the end').then(() => true));
    await closeTwice(client, () => true);
    await closeTwice(server, async () => !(await accepting(port)));
  });

  it('an AsyncServer, a listener of its multiplexer, the multiplexer, and a client', async () => {
    const mux = new Multiplexer();
    const server = await new AsyncServer({ mux, host: '127.0.0.1', port: 0, procedures: {} }).start();
    const port = portOf(server.address);
    const client = await new AsyncClient({ host: '127.0.0.1', port }).connect();
    await closeTwice(client, () => true);
    await closeTwice(server, async () => !(await accepting(port)));
    const listener = await mux.listen({ host: '127.0.0.1', port: 0 });
    await closeTwice(listener, async () => !(await accepting(portOf(listener.address))));
    const other = await mux.listen({ host: '127.0.0.1', port: 0 });
    await using raw = disposableSocket(net.connect(portOf(other.address), '127.0.0.1'));
    let event = await mux.next();
    while (!event.done && !(event.value.type === 'accepted' && event.value.listener === other))
      event = await mux.next();
    const accepted = event.value as Extract<MuxEvent, { type: 'accepted' }>;
    // Closing the connection takes a round trip to `raw`: the second close() must wait for it too.
    await closeTwice(mux, async () => accepted.connection.closed && !(await accepting(portOf(other.address))));
    expect(raw.destroyed || raw.readableEnded).toBe(true);
    const left: string[] = [];
    for await (const event of mux) left.push(event.type); // what was queued, then the end
    expect(left.every((type) => type === 'accepted' || type === 'closed')).toBe(true);
  });
});
