import * as http from 'node:http';
import * as net from 'node:net';
import type { Channel, TransportError } from '@rpc/loop';
import { WsLoop } from '@rpc/loop-ws';
import { disposableServer, disposer, testPki, waitFor } from '@rpc/testkit';

const loop = new WsLoop({ path: '/rpc' });

/** A listener and a connected pair of channels; `await using` destroys both channels and closes the listener. */
async function pair(listenLoop = loop, connectLoop = loop, maxMessageSize?: number) {
  let accepted: Channel | undefined;
  let client: Channel | undefined;
  const listener = await listenLoop.listen(
    { host: '127.0.0.1', port: 0, ...(maxMessageSize ? { maxMessageSize } : {}) },
    (channel) => (accepted = channel),
  );
  const close = async (): Promise<void> => {
    client?.destroy();
    accepted?.destroy();
    await listener.close();
  };
  try {
    client = await connectLoop.connect({ ...(listener.address as { host: string; port: number }) });
    await waitFor(() => accepted !== undefined, 'the accepted channel');
    return { listener, client, server: accepted as Channel, [Symbol.asyncDispose]: close };
  } catch (error) {
    await close();
    throw error;
  }
}

function collect(channel: Channel): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  channel.on('data', (chunk) => chunks.push(chunk));
  return chunks;
}

describe('WsLoop', () => {
  it('carries each write as one message, both ways, keeping the boundaries', async () => {
    await using p = await pair();
    const { client, server } = p;
    expect([client.messageBoundaries, server.messageBoundaries]).toEqual([true, true]);
    expect(server.remote).toMatchObject({ host: '127.0.0.1' });
    const atServer = collect(server);
    const atClient = collect(client);
    client.write(Uint8Array.of(1));
    client.writev([Uint8Array.of(2, 2), Uint8Array.of(3, 3, 3)]);
    await waitFor(() => atServer.length === 3, 'three messages');
    expect(atServer.map((c) => Array.from(c))).toEqual([[1], [2, 2], [3, 3, 3]]);
    server.write(new TextEncoder().encode('back'));
    await waitFor(() => atClient.length === 1, 'the answer');
    const closed = new Promise<TransportError | undefined>((r) => server.on('close', r));
    client.close();
    expect(await closed).toBeUndefined();
  });

  it('listens on an existing http.Server under a path, leaving other requests to it', async () => {
    await using httpServer = disposableServer(http.createServer((_req, res) => res.end('plain http')));
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
    const { port } = httpServer.address() as { port: number };
    const attached = new WsLoop({ server: httpServer, path: '/rpc' });
    let accepted: Channel | undefined;
    await using listener = await attached.listen({ port: 0 }, (channel) => (accepted = channel));
    using _accepted = disposer(() => accepted?.destroy());
    expect(listener.address).toEqual({ host: '127.0.0.1', port });
    const client = await new WsLoop({ path: '/rpc' }).connect({ host: '127.0.0.1', port });
    using _client = disposer(() => client.destroy());
    await waitFor(() => accepted !== undefined, 'the channel');
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('plain http');
    await expect(new WsLoop({ path: '/elsewhere' }).connect({ host: '127.0.0.1', port })).rejects.toMatchObject({
      code: 'LOOP_CONNECT_FAILED',
    });
  });

  it('refuses a message over maxMessageSize (maxPayload) before reading it', async () => {
    await using p = await pair(loop, loop, 1024);
    const { client, server } = p;
    const atServer = collect(server);
    const closed = new Promise<TransportError | undefined>((r) => client.on('close', r));
    client.write(new Uint8Array(1024));
    client.write(new Uint8Array(1025));
    expect(await closed).toMatchObject({ code: 'LOOP_IO_FAILED', reason: '1009' });
    expect(atServer.map((c) => c.length)).toEqual([1024]);
  });

  it('gives up after connectTimeoutMs with LOOP_CONNECT_TIMEOUT when the upgrade is never answered', async () => {
    // A peer that accepts and then says nothing: the HTTP upgrade waits forever, whatever the machine's load.
    await using mute = disposableServer(net.createServer(() => undefined)); // keeps what it accepts open
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const { port } = mute.address() as net.AddressInfo;
    await expect(loop.connect({ host: '127.0.0.1', port }, { connectTimeoutMs: 100 })).rejects.toMatchObject({
      name: 'TransportError',
      code: 'LOOP_CONNECT_TIMEOUT',
      message: `connect to 127.0.0.1:${port} timed out`,
    });
  });

  it('speaks wss with the usual TLS options, and says when verification fails', async () => {
    const pki = await testPki();
    const accepted: Channel[] = [];
    await using listener = await loop.listen(
      { host: '127.0.0.1', port: 0, tls: { key: pki.key, cert: pki.cert } },
      (channel) => {
        accepted.push(channel);
        channel.on('data', (c) => channel.write(c));
      },
    );
    using _accepted = disposer(() => {
      for (const channel of accepted) channel.destroy();
    });
    const { port } = listener.address as { port: number };
    const client = await loop.connect({ host: '127.0.0.1', port, tls: { ca: pki.ca } });
    using _client = disposer(() => client.destroy());
    expect(client.secure).toBe(true);
    const echoed = collect(client);
    client.write(Uint8Array.of(7));
    await waitFor(() => echoed.length === 1, 'the echo');
    await expect(loop.connect({ host: '127.0.0.1', port, tls: { ca: pki.otherCa } })).rejects.toMatchObject({
      code: 'LOOP_TLS_FAILED',
    });
  });

  it('reports refused connections and taken ports as the Node loop does', async () => {
    await using p = await pair();
    const { listener, client } = p;
    const { port } = listener.address as { port: number };
    await expect(loop.listen({ host: '127.0.0.1', port }, () => undefined)).rejects.toMatchObject({
      code: 'LOOP_ADDRESS_IN_USE',
    });
    client.destroy();
    await listener.close();
    // Refused once the port is really free: try until then, rather than for a fixed time.
    let outcome: unknown;
    for (const deadline = Date.now() + 10_000; ; ) {
      outcome = await loop.connect({ host: '127.0.0.1', port }).then(
        (channel) => void channel.destroy(),
        (error: unknown) => error,
      );
      if (outcome !== undefined || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(outcome).toMatchObject({ code: 'LOOP_CONNECTION_REFUSED' });
  });
});
