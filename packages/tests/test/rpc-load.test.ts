// Load in the test suite, bounded well under a minute: many clients leaving abruptly with calls in flight, and
// ten thousand idle connections on a server in its own process, whose memory per connection is reported.
import { Server } from '@rpc/server';
import { waitFor } from '@rpc/testkit';
import { openIdleClients, startLoadServer } from '../src/load-server.js';
import { testClasses } from '../src/test-classes.js';
import { rawSession } from './rpc-helpers.js';

const CLIENTS = 1000;
const CALLS = 10;
const IDLE = 10_000;

describe('load', () => {
  it(`${CLIENTS} clients, half leaving abruptly with calls in flight: every call on a live connection answered once, no object left`, async () => {
    await using server = await new Server({
      host: '127.0.0.1',
      port: 0,
      classes: testClasses,
      maxConnectionsPerAddress: CLIENTS,
    }).start();
    let answered = 0;
    for (let batch = 0; batch < CLIENTS; batch += 250) {
      await Promise.all(
        Array.from({ length: 250 }, async (_, i) => {
          await using session = await rawSession(server.port);
          const { oid } = await session.ask({ cmd: 'new', method: 'Event_RPC_Test::new', params: ['data', i] });
          for (let id = 1; id <= CALLS; id++) {
            const [method, params] = id === CALLS ? ['wait', [20, id]] : ['echo', [id]];
            session.send({ cmd: 'exec', oid, method, params, id });
          }
          if (i % 2 === 1) return session.conn.destroy(); // gone, with its calls in flight
          const ids: number[] = [];
          for (let n = 0; n < CALLS; n++) ids.push((await session.next()).id as number);
          expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: CALLS }, (_, k) => k + 1));
          answered += ids.length;
        }),
      );
    }
    expect(answered).toBe((CLIENTS / 2) * CALLS);
    await waitFor(() => server.stats().connections === 0, 'every client to be gone');
    expect(server.stats()).toMatchObject({
      connections: 0,
      callsInFlight: 0,
      callsQueued: 0,
      bufferedBytes: 0,
      objects: {},
      references: 0,
    });
  });

  it(`${IDLE} idle connections cost the server at most 5.5 KiB of heap each, and all of it comes back`, async () => {
    await using server = await startLoadServer({ maxConnections: IDLE + 10, maxConnectionsPerAddress: IDLE + 10 });
    const before = await server.stats(true);
    let perConnection: number;
    {
      await using clients = await openIdleClients(server.port, IDLE);
      expect(clients.opened).toBe(IDLE);
      await waitFor(async () => (await server.stats()).connections === IDLE, 'every connection to be accepted');
      const open = await server.stats(true);
      perConnection = (open.heapUsed - before.heapUsed) / IDLE;
      console.log(`${IDLE} idle connections: ${Math.round(perConnection)} bytes of server heap each`);
      expect(perConnection).toBeLessThan(5.5 * 1024);
    }
    await waitFor(async () => (await server.stats()).connections === 0, 'every connection to be gone');
    const after = await server.stats(true);
    expect(after).toMatchObject({ connections: 0, bufferedBytes: 0 });
    expect(after.heapUsed - before.heapUsed).toBeLessThan(IDLE * 512); // what stays is not per connection
  });
});
