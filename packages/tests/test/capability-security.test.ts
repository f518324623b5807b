import { Client } from '@rpc/client';
import { encodeNegotiation, TaggedValue } from '@rpc/codec';
import { msgpackCodec } from '@rpc/codec-msgpack';
import { crypt, Server, type ServerConnection } from '@rpc/server';
import { waitFor } from '@rpc/testkit';
import { feed, produced } from '../src/capability-classes.js';
import { silentClient } from './limit-helpers.js';
import { quiet, rawSession } from './rpc-helpers.js';

const codec = msgpackCodec();
const frame = (payload: Uint8Array): Buffer => {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length);
  return Buffer.concat([header, payload]);
};

async function feedServer(options: Partial<ConstructorParameters<typeof Server>[0]> = {}): Promise<Server> {
  const server = new Server({ host: '127.0.0.1', port: 0, logger: quiet, classes: { Feed: feed }, ...options });
  await server.setupListeners();
  return server;
}

describe('capabilities against a hostile client', () => {
  it('before login: every capability message is refused and nothing is kept', async () => {
    await using server = await feedServer({ authRequired: true, authPasswdHref: { fred: crypt('fred', 'secret') } });
    await using raw = await rawSession(server.port);
    expect(await raw.ask({ cmd: 'version', rpc: { ids: true, capabilities: true }, id: 1 })).toMatchObject({
      ok: 1,
      rpc: { capabilities: true },
    });
    const connection = [...server.connections][0] as ServerConnection;
    const hostile: Record<string, unknown>[] = [
      { cmd: 'call', ref: 1, params: [], id: 2 },
      { cmd: 'exec', oid: '', on: 1, method: 'read', params: [], id: 3 },
      { cmd: 'new', method: 'Feed::new', params: [new TaggedValue('@rpc.fn', [1])], refs: 1, id: 4 },
    ];
    for (const request of hostile)
      expect(await raw.ask(request)).toMatchObject({ ok: 0, msg: 'Authorization required', id: request.id });
    // One-way messages get the refusal too; none is kept.
    for (const cmd of ['release', 'pull', 'push', 'finish', 'return'])
      expect(await raw.ask({ cmd, ref: 1, count: 1, credit: 5, values: [1], ids: [1], ok: 1, rc: [] })).toMatchObject({
        ok: 0,
        msg: 'Authorization required',
      });
    expect([connection.capabilities?.exports, connection.capabilities?.imports, connection.kept?.size ?? 0]).toEqual([
      0, 0, 0,
    ]);
  });

  it("after login: a client reaches only its own connection's references", async () => {
    await using server = await feedServer();
    await using owner = await new Client({ host: '127.0.0.1', port: server.port }).connect();
    await using thief = await new Client({ host: '127.0.0.1', port: server.port }).connect();
    const f = await owner.remoteClass<typeof feed>('Feed').new('');
    const add = await f.makeCounter(0);
    expect(await add(1)).toBe(1);
    for (const ref of [1, 2, 0, -1, 2 ** 53])
      await expect(thief.request({ cmd: 'call', ref, params: [1] })).rejects.toMatchObject({
        message: `unknown reference ${ref}: released, or never given`,
      });
    // Naming another connection's pipelined call finds nothing either.
    const copy = f.copy('x');
    await expect(thief.request({ cmd: 'exec', oid: '', on: 1, method: 'read', params: [] })).rejects.toMatchObject({
      message: 'call 1 has no result kept for pipelining',
    });
    expect(await copy.read()).toBe('x');
    expect(await add(1)).toBe(2);
  });

  it('survives a client that never answers its callbacks and then goes: the waiting call ends, nothing is kept', async () => {
    await using server = await feedServer();
    const raw = await rawSession(server.port);
    await raw.ask({ cmd: 'version', rpc: { ids: true, capabilities: true }, id: 1 });
    const created = await raw.ask({ cmd: 'new', method: 'Feed::new', params: [''], id: 2 });
    const connection = [...server.connections][0] as ServerConnection;
    raw.send({
      cmd: 'exec',
      oid: created.oid,
      method: 'map',
      params: [['a'], new TaggedValue('@rpc.fn', [7])],
      refs: 1,
      id: 3,
    });
    // The server calls the function back, and the client never answers.
    expect(await raw.next()).toMatchObject({ cmd: 'call', ref: 7, params: ['a'] });
    expect(connection.capabilities?.imports).toBe(1);
    expect(connection.report().callsInFlight).toBe(1);
    await raw.conn.close();
    await waitFor(() => server.connections.size === 0, 'the connection gone');
    expect(connection.capabilities?.imports).toBe(0);
    expect(server.stats().callsInFlight).toBe(0);
    await using client = await new Client({ host: '127.0.0.1', port: server.port }).connect();
    expect(await (await client.remoteClass<typeof feed>('Feed').new('fine')).read()).toBe('fine');
  });

  it('ignores pushes it never asked for and fails a stream pushed past its window', async () => {
    await using server = await feedServer({ streamWindow: 4 });
    await using raw = await rawSession(server.port);
    await raw.ask({ cmd: 'version', rpc: { ids: true, capabilities: true }, id: 1 });
    const created = await raw.ask({ cmd: 'new', method: 'Feed::new', params: [''], id: 2 });
    // Values for streams the server never received, many of them: dropped.
    for (let i = 0; i < 100; i++) raw.send({ cmd: 'push', ref: 1000 + i, values: Array(100).fill('x') });
    raw.send({
      cmd: 'exec',
      oid: created.oid,
      method: 'sum',
      params: [new TaggedValue('@rpc.stream', [5])],
      refs: 1,
      id: 3,
    });
    expect(await raw.next()).toMatchObject({ cmd: 'pull', ref: 5, credit: 4 });
    raw.send({ cmd: 'push', ref: 5, values: [1, 2, 3, 4, 5, 6] }); // two more than the window allows
    expect(await raw.next()).toMatchObject({ cmd: 'release', ref: 5, count: 1 });
    expect(await raw.next()).toMatchObject({ id: 3, ok: 0, msg: expect.stringMatching(/only 4 fit/) });
    expect(await raw.ask({ cmd: 'exec', oid: created.oid, method: 'read', params: [], id: 4 })).toMatchObject({
      ok: 1,
      rc: [''],
    });
  });

  it('stops a stream for a client that grants credit and never reads, within the queue limit', async () => {
    await using server = await feedServer({ maxQueueBytes: 1024 * 1024 });
    await using silent = await silentClient(server.port);
    const send = (message: Record<string, unknown>): boolean => silent.write(frame(codec.encode(message)));
    silent.write(frame(encodeNegotiation({ cmd: 'neg_formats_avail' })));
    silent.write(frame(encodeNegotiation({ cmd: 'neg_format_set', msg: 'MSGP' })));
    send({ cmd: 'version', rpc: { ids: true, capabilities: true }, id: 1 });
    send({ cmd: 'new', method: 'Feed::new', params: [''], id: 2, pipe: 1 });
    send({ cmd: 'exec', oid: '', on: 2, method: 'ticks', params: [1e9], id: 3 });
    send({ cmd: 'pull', ref: 1, credit: 1e9 });
    const before = produced.values;
    await waitFor(() => produced.values - before > 1000, 'the stream under way');
    // The answers pile up unread until the connection's queue is full: the stream stops, the server stays.
    let last = -1;
    await waitFor(async () => {
      const now = produced.values;
      const settled = now === last;
      last = now;
      await new Promise((resolve) => setTimeout(resolve, 200));
      return settled;
    }, 'the producer stopped');
    expect(server.stats().bufferedBytes).toBeLessThan(8 * 1024 * 1024);
    await using client = await new Client({ host: '127.0.0.1', port: server.port }).connect();
    expect(await (await client.remoteClass<typeof feed>('Feed').new('still serving')).read()).toBe('still serving');
  });
});
