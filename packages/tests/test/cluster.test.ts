import { join } from 'node:path';
import { Client, crypt } from '@rpc/client';
import { startChildServer } from '../src/child-server.js';

interface Tally {
  add(): number;
  pid(): number;
  stats(): { pid: number; connections: number };
}

// Several server processes on one port, through node:cluster: the way the server README documents for many cores.
it('runs two server processes on one port: connections spread, logins work on each, singletons and stats per process', async () => {
  await using cluster = await startChildServer(
    process.execPath,
    [join(__dirname, '..', 'fixtures', 'cluster.mjs')],
    join(__dirname, '..'),
  );
  const clients = await Promise.all(
    Array.from({ length: 8 }, () =>
      new Client({
        host: '127.0.0.1',
        port: cluster.port,
        authUser: 'fred',
        authPass: crypt('fred', 'secret'),
      }).connect(),
    ),
  );
  try {
    const seen: { pid: number; count: number; statsPid: number }[] = [];
    for (const client of clients) {
      const tally = await client.remoteClass<Tally, [], 'shared'>('Tally').shared();
      const count = await tally.add();
      seen.push({ pid: await tally.pid(), count, statsPid: (await tally.stats()).pid });
    }
    const pids = [...new Set(seen.map((s) => s.pid))];
    expect(pids).toHaveLength(2); // node:cluster deals connections out round-robin
    for (const pid of pids) {
      // Each process has its own singleton: its count goes 1, 2, 3... over the clients that process served.
      const counts = seen.filter((s) => s.pid === pid).map((s) => s.count);
      expect(counts).toEqual(counts.map((_, i) => i + 1));
    }
    expect(seen.every((s) => s.statsPid === s.pid)).toBe(true);
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
  await expect(
    new Client({ host: '127.0.0.1', port: cluster.port, authUser: 'fred', authPass: 'wrong' }).connect(),
  ).rejects.toMatchObject({ code: 'AUTH_FAILED' });
});
