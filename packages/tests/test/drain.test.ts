import { Client, type RpcError } from '@rpc/client';
import { Server, type ServerOptions } from '@rpc/server';
import { waitFor } from '@rpc/testkit';
import { quiet } from './rpc-helpers.js';

/** A worker whose calls take as long as they are told to, and which says which server it lives on. */
class Work {
  static new(): Work {
    return new Work();
  }
  async slow(ms: number, value: string): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return value;
  }
  where(): number {
    return Server.instance?.port ?? -1;
  }
}

const classes = { Work: { impl: Work, methods: { new: '_constructor', slow: 1, where: 1 } } } as const;

async function serve(port = 0, options: Partial<ServerOptions> = {}): Promise<Server> {
  return new Server({ host: '127.0.0.1', port, logger: quiet, classes, ...options }).start();
}

describe('drain() and goaway', () => {
  it('lets calls in flight finish, tells the client to go, refuses nothing it sent before, then closes', async () => {
    const server = await serve();
    await using client = await new Client({ host: '127.0.0.1', port: server.port }).connect();
    const told: string[] = [];
    client.on('goaway', (reason) => told.push(reason));
    const work = await client.remoteClass<Work>('Work').new();
    const inFlight = [work.slow(200, 'a'), work.slow(300, 'b')];
    const sentJustBefore = work.slow(0, 'c');
    await waitFor(() => server.stats().callsInFlight === 2, 'the calls under way');
    const draining = server.drain(5000);
    expect(server.draining).toBe(true);
    expect(await Promise.all(inFlight)).toEqual(['a', 'b']);
    // Sent before the client heard goaway, so answered: the server waits for the client's own goaway before closing.
    expect(await sentJustBefore).toBe('c');
    await draining;
    expect(told).toEqual(['the server is shutting down']);
    await waitFor(() => !client.connected, 'the connection closed');
    await expect(work.where()).rejects.toMatchObject({ code: 'RPC_OBJECT_LOST' });
  });

  it('answers calls still running at the deadline with RPC_SHUTDOWN, a coded error the client raises', async () => {
    const server = await serve();
    await using client = await new Client({ host: '127.0.0.1', port: server.port }).connect();
    const work = await client.remoteClass<Work>('Work').new();
    const stuck = work.slow(2_000, 'never').catch((error: unknown) => error);
    await waitFor(() => server.stats().callsInFlight === 1, 'the call under way');
    await server.drain(100);
    expect(await stuck).toMatchObject({ code: 'RPC_SHUTDOWN', name: 'TransportError' });
  });
});

/** A client of 127.0.0.1:`port` that reconnects quickly. */
function reconnecting(port: number): Promise<Client> {
  return new Client({ host: '127.0.0.1', port, reconnect: { initialDelayMs: 20, maxDelayMs: 100 } }).connect();
}

describe('a client that reconnects', () => {
  it('moves to the next server when told to go away: calls made meanwhile wait, lost objects are reported', async () => {
    const first = await serve();
    const port = first.port;
    await using client = await reconnecting(port);
    const lost: string[][] = [];
    client.on('lost', (oids) => lost.push([...oids]));
    let told = false;
    client.on('goaway', () => (told = true));
    const Works = client.remoteClass<Work>('Work');
    const old = await Works.new();
    expect(await old.where()).toBe(port);
    const inFlight = old.slow(100, 'finished on the old server');
    await waitFor(() => first.stats().callsInFlight === 1, 'the call under way');
    const draining = first.drain(5000);
    // Made after goaway: they wait for the next connection instead of going to the draining server.
    await waitFor(() => told, 'goaway');
    const waiting = Works.new().where();
    expect(await inFlight).toBe('finished on the old server');
    await draining;
    await using second = await serve(port);
    expect(await waiting).toBe(second.port);
    expect(lost).toEqual([[old.oid]]);
    await expect(old.where()).rejects.toMatchObject({ code: 'RPC_OBJECT_LOST', name: 'TransportError' });
    expect(await (await Works.new()).where()).toBe(port);
  });

  it('connects again with backoff after a drop: calls in flight fail with RPC_DISCONNECTED, never hang', async () => {
    const first = await serve();
    const port = first.port;
    await using client = await reconnecting(port);
    const work = await client.remoteClass<Work>('Work').new();
    const dropped = work.slow(2_000, 'never');
    // The server ends the connection under the call (as a crash or a network fault would, from the client's side).
    await Promise.all([...first.connections].map((connection) => connection.close()));
    await first.close();
    await expect(dropped).rejects.toMatchObject({ code: 'RPC_DISCONNECTED' });
    await using second = await serve(port);
    await waitFor(() => client.connected, 'connected again');
    expect(await (await client.remoteClass<Work>('Work').new()).where()).toBe(second.port);
  });

  it('gives up after maxAttempts: calls waiting reject with RPC_NOT_CONNECTED', async () => {
    const server = await serve();
    await using client = await new Client({
      host: '127.0.0.1',
      port: server.port,
      reconnect: { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 3 },
    }).connect();
    const errors: RpcError[] = [];
    client.on('error', (error) => errors.push(error as RpcError));
    await server.drain(1000);
    await expect(client.remoteClass<Work>('Work').new()).rejects.toMatchObject({ code: 'RPC_NOT_CONNECTED' });
    await waitFor(() => errors.length > 0, 'the reconnect giving up');
    expect(errors[0]).toMatchObject({ code: 'RPC_NOT_CONNECTED' });
  });
});
