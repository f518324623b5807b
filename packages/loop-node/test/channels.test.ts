import * as net from 'node:net';
import { TransportError, UsageError, type Channel } from '@rpc/loop';
import { NodeLoop } from '@rpc/loop-node';
import { disposableServer, disposer, socketPath, testPki, waitFor } from '@rpc/testkit';

const loop = new NodeLoop();

/** A listener and a connected pair of channels; `await using` destroys both channels and closes the listener. */
async function pair(endpoint: Parameters<NodeLoop['listen']>[0], connectTo = endpoint) {
  let accepted: Channel | undefined;
  let client: Channel | undefined;
  const listener = await loop.listen(endpoint, (channel) => (accepted = channel));
  const close = async (): Promise<void> => {
    client?.destroy();
    accepted?.destroy();
    await listener.close();
  };
  try {
    client = await loop.connect(
      'port' in connectTo && connectTo.port === 0 ? { ...connectTo, ...listener.address } : connectTo,
    );
    await waitFor(() => accepted !== undefined, 'the accepted channel');
    return { listener, client, server: accepted as Channel, [Symbol.asyncDispose]: close };
  } catch (error) {
    await close();
    throw error;
  }
}

function collect(channel: Channel): { bytes: () => Buffer } {
  const chunks: Uint8Array[] = [];
  channel.on('data', (chunk) => chunks.push(chunk));
  return { bytes: () => Buffer.concat(chunks) };
}

describe('NodeLoop over TCP', () => {
  it('reports the port it got for port 0 and carries bytes both ways', async () => {
    await using p = await pair({ host: '127.0.0.1', port: 0 });
    const { listener, client, server } = p;
    const address = listener.address as { host: string; port: number };
    expect(address.host).toBe('127.0.0.1');
    expect(address.port).toBeGreaterThan(0);
    expect(server.remote).toEqual({ host: '127.0.0.1', port: (client.local as { port: number }).port });
    const atServer = collect(server);
    const atClient = collect(client);
    client.write(Buffer.from('ping'));
    await waitFor(() => atServer.bytes().length === 4, 'ping');
    server.writev([Buffer.from('po'), Buffer.from('ng')]);
    await waitFor(() => atClient.bytes().toString() === 'pong', 'pong');
    const closed = new Promise<TransportError | undefined>((r) => server.on('close', r));
    client.close();
    expect(await closed).toBeUndefined();
  });

  it('turns EADDRINUSE into LOOP_ADDRESS_IN_USE', async () => {
    await using first = await loop.listen({ host: '127.0.0.1', port: 0 }, () => undefined);
    const taken = first.address as { port: number };
    await expect(loop.listen({ host: '127.0.0.1', port: taken.port }, () => undefined)).rejects.toMatchObject({
      name: 'TransportError',
      code: 'LOOP_ADDRESS_IN_USE',
      reason: 'EADDRINUSE',
      message: `address 127.0.0.1:${taken.port} is already in use`,
    });
  });

  it('turns a refused connection into LOOP_CONNECTION_REFUSED', async () => {
    await using probe = await loop.listen({ host: '127.0.0.1', port: 0 }, () => undefined);
    const { port } = probe.address as { port: number };
    await probe.close();
    const error = await loop.connect({ host: '127.0.0.1', port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({
      code: 'LOOP_CONNECTION_REFUSED',
      message: `connection to 127.0.0.1:${port} refused`,
    });
  });

  it('rejects bad endpoints as UsageError and honours an aborted signal', async () => {
    await expect(loop.connect({ host: '127.0.0.1', port: 70000 })).rejects.toBeInstanceOf(UsageError);
    await expect(loop.connect({ path: '' })).rejects.toMatchObject({ code: 'LOOP_INVALID_ENDPOINT' });
    const aborted = AbortSignal.abort();
    await expect(loop.connect({ host: '127.0.0.1', port: 9 }, { signal: aborted })).rejects.toMatchObject({
      code: 'LOOP_ABORTED',
    });
  });

  it('reports a reset by the peer as LOOP_CONNECTION_RESET', async () => {
    // The peer aborts with an RST as soon as it hears from us.
    await using raw = disposableServer(
      net.createServer((socket) => socket.once('data', () => socket.resetAndDestroy())),
    );
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    const client = await loop.connect({ host: '127.0.0.1', port: (raw.address() as net.AddressInfo).port });
    using _client = disposer(() => client.destroy());
    const closed = new Promise<TransportError | undefined>((r) => client.on('close', r));
    client.on('data', () => undefined);
    client.write(Buffer.from('hello?'));
    expect(await closed).toMatchObject({ code: 'LOOP_CONNECTION_RESET', reason: 'ECONNRESET' });
  });
});

describe('NodeLoop over Unix sockets', () => {
  it('listens on a path and both ends report it', async () => {
    const path = socketPath();
    await using p = await pair({ path });
    const { listener, client, server } = p;
    expect(listener.address).toEqual({ path });
    expect(client.remote).toEqual({ path });
    const atServer = collect(server);
    client.write(Buffer.from('over unix'));
    await waitFor(() => atServer.bytes().toString() === 'over unix', 'bytes over the socket');
  });

  it('says when nobody listens at a path', async () => {
    const path = socketPath('absent.sock');
    await expect(loop.connect({ path })).rejects.toMatchObject({
      code: 'LOOP_CONNECT_FAILED',
      message: `no socket at unix:${path}`,
    });
  });
});

describe('NodeLoop over TLS', () => {
  it('gives up after connectTimeoutMs with LOOP_CONNECT_TIMEOUT when the handshake never ends', async () => {
    // A peer that accepts and then says nothing: the TLS handshake waits forever, whatever the machine's load.
    await using mute = disposableServer(net.createServer(() => undefined)); // keeps what it accepts open
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const { port } = mute.address() as net.AddressInfo;
    await expect(loop.connect({ host: '127.0.0.1', port, tls: {} }, { connectTimeoutMs: 100 })).rejects.toMatchObject({
      name: 'TransportError',
      code: 'LOOP_CONNECT_TIMEOUT',
      message: `connect to 127.0.0.1:${port} timed out after 100 ms`,
    });
  });

  it('connects with a certificate signed by the trusted CA', async () => {
    const pki = await testPki();
    await using p = await pair(
      { host: '127.0.0.1', port: 0, tls: { key: pki.key, cert: pki.cert } },
      { host: '127.0.0.1', port: 0, tls: { ca: pki.ca } },
    );
    const { client, server } = p;
    expect(client.secure).toBe(true);
    expect(server.secure).toBe(true);
    const atServer = collect(server);
    client.write(Buffer.from('secret'));
    await waitFor(() => atServer.bytes().toString() === 'secret', 'bytes over TLS');
  });

  it('refuses a server certificate from an untrusted CA, naming the failed check', async () => {
    const pki = await testPki();
    const errors: TransportError[] = [];
    await using listener = await loop.listen(
      { host: '127.0.0.1', port: 0, tls: { key: pki.key, cert: pki.cert } },
      () => undefined,
    );
    listener.on('error', (e) => errors.push(e));
    const { port } = listener.address as { port: number };
    const error = await loop.connect({ host: '127.0.0.1', port, tls: { ca: pki.otherCa } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ code: 'LOOP_TLS_FAILED', reason: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect((error as Error).message).toBe(
      `TLS handshake with 127.0.0.1:${port} failed: the certificate is not signed by a trusted CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`,
    );
    await waitFor(() => errors.length > 0, 'the server-side handshake error');
    expect(errors[0]).toMatchObject({ code: 'LOOP_TLS_FAILED' });
  });

  it('reports TLS spoken to a plain TCP server as a TLS failure', async () => {
    await using listener = await loop.listen({ host: '127.0.0.1', port: 0 }, (channel) => {
      channel.on('data', () => channel.write(Buffer.from('HTTP/1.0 400 not tls\r\n\r\n')));
    });
    const { port } = listener.address as { port: number };
    await expect(loop.connect({ host: '127.0.0.1', port, tls: {} })).rejects.toMatchObject({ code: 'LOOP_TLS_FAILED' });
  });
});
