import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, type RemoteObject } from '@rpc/client';
import type { Channel, ConnectOptions, Endpoint } from '@rpc/loop';
import { NodeLoop } from '@rpc/loop-node';
import { waitFor } from '@rpc/testkit';
import { startChildServer, type ChildServer } from '../src/child-server.js';
import { startHaproxy, type Haproxy } from '../src/haproxy.js';

// HAProxy in TCP mode in front of three @rpc servers in their own processes (fixtures/balanced-server.mjs, from the
// built packages), each sent a PROXY v2 header and checked on its health port.

const run = promisify(execFile);
const fixture = join(__dirname, '..', 'fixtures', 'balanced-server.mjs');

/** What fixtures/balanced-server.mjs exports. */
interface Balanced {
  pid(): number;
  where(): string;
  hit(): number;
  slow(ms: number): number;
}

interface Backend {
  readonly child: ChildServer;
  readonly pid: number;
  readonly healthPort: number;
}

/** A Node loop that remembers the local port of its connection: the address the server behind haproxy should see. */
class PortRecordingLoop extends NodeLoop {
  localPort = 0;

  override async connect(endpoint: Endpoint, options?: ConnectOptions): Promise<Channel> {
    const channel = await super.connect(endpoint, options);
    if ('port' in channel.local) this.localPort = channel.local.port;
    return channel;
  }
}

/** Event::RPC::Client through the balancer: two objects, `calls` rounds on each, and what the server saw. */
const PERL_CLIENT = `
use strict; use warnings; use JSON::PP; use Event::RPC::Client;
my ($port, $calls) = @ARGV;
my $client = Event::RPC::Client->new(host => '127.0.0.1', port => $port, timeout => 10, insecure_msg_fmt_ok => 0);
$client->connect;
my $sockport = $client->get_sock->sockport;
my @objects = map { Balanced->new } 1 .. 2;
my (%pids, %where, @hits);
for (1 .. $calls) {
  for my $obj (@objects) { $pids{$obj->pid} = 1; $where{$obj->where} = 1; push @hits, $obj->hit }
}
$client->disconnect;
print encode_json({ sockport => $sockport, pids => [map { $_ + 0 } keys %pids], where => [keys %where],
  hits => \\@hits }), "\\n";
`;

/**
 * Event::RPC::Client connecting through the balancer until it reaches the process `target`, where it prints `ON`,
 * runs a call of `ms` and prints `DONE <pid>`. A Perl client knows no `goaway`: its call keeps a draining server up.
 */
const PERL_HOLDER = `
use strict; use warnings; use Event::RPC::Client;
my ($port, $target, $ms) = @ARGV;
$| = 1;
for (1 .. 20) {
  my $client = Event::RPC::Client->new(host => '127.0.0.1', port => $port, timeout => 10, insecure_msg_fmt_ok => 0);
  $client->connect;
  my $obj = Balanced->new;
  if ($obj->pid == $target) {
    print "ON\n";
    print 'DONE ', $obj->slow($ms), "\n";
    exit 0;
  }
  $client->disconnect;
}
print "MISSED\n";
`;

/** Runs PERL_HOLDER; `next()` resolves with each line it prints. */
function perlHolder(port: number, target: number, ms: number): { next(): Promise<string>; stop(): void } {
  const child = spawn('perl', ['-e', PERL_HOLDER, String(port), String(target), String(ms)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const timeout = setTimeout(() => child.kill('SIGKILL'), 60_000);
  child.once('exit', () => clearTimeout(timeout));
  return {
    next: async () => {
      const line = await lines.next();
      return line.done ? 'EXITED' : line.value;
    },
    stop: () => child.kill('SIGKILL'),
  };
}

interface PerlReport {
  sockport: number;
  pids: number[];
  where: string[];
  hits: number[];
}

async function startBackend(): Promise<Backend> {
  const options = { proxyProtocol: { from: ['127.0.0.1'] }, healthPort: 0 };
  const child = await startChildServer(process.execPath, [fixture, JSON.stringify(options)], process.cwd());
  const { pid, healthPort } = JSON.parse(await child.ask('info')) as { pid: number; healthPort: number };
  return { child, pid, healthPort };
}

/** One @rpc client through the balancer: which process served it, and whether it saw the client's own address. */
async function session(port: number, calls: number): Promise<{ pid: number; real: boolean }> {
  const loop = new PortRecordingLoop();
  await using client = await new Client({ host: '127.0.0.1', port, loop }).connect();
  const Balanced = client.remoteClass<Balanced>('Balanced');
  const objects: Array<RemoteObject<Balanced>> = [await Balanced.new(), await Balanced.new()];
  const pids = new Set<number>();
  const where = new Set<string>();
  for (let i = 1; i <= calls; i++) {
    for (const obj of objects) {
      expect(await obj.hit()).toBe(i); // the same object, on the same server, all along
      pids.add(await obj.pid());
      where.add(await obj.where());
    }
  }
  expect(pids.size).toBe(1);
  expect([...where]).toEqual([`127.0.0.1:${loop.localPort}`]);
  return { pid: [...pids][0] as number, real: where.has(`127.0.0.1:${loop.localPort}`) };
}

function counts(pids: readonly number[]): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const pid of pids) byPid.set(pid, (byPid.get(pid) ?? 0) + 1);
  return byPid;
}

describe('behind HAProxy', () => {
  const backends: Backend[] = [];
  let haproxy: Haproxy | undefined;
  const port = (): number => (haproxy as Haproxy).port;

  beforeAll(async () => {
    backends.push(...(await Promise.all([startBackend(), startBackend(), startBackend()])));
    haproxy = await startHaproxy({ backends: backends.map((b) => ({ port: b.child.port, healthPort: b.healthPort })) });
  });

  afterAll(async () => {
    await haproxy?.stop();
    await Promise.all(backends.map((backend) => backend.child.close()));
  });

  it('spreads @rpc clients over the three servers; each keeps its objects and is seen by its own address', async () => {
    const sessions = await Promise.all(Array.from({ length: 30 }, () => session(port(), 20)));
    expect(sessions.every((s) => s.real)).toBe(true);
    const served = counts(sessions.map((s) => s.pid));
    expect([...served.keys()].sort()).toEqual(backends.map((b) => b.pid).sort());
    for (const n of served.values()) expect(n).toBeGreaterThanOrEqual(5);
  });

  it('serves Perl Event::RPC clients the same way', async () => {
    const reports = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const { stdout } = await run('perl', ['-e', PERL_CLIENT, String(port()), '10'], { timeout: 60_000 });
        return JSON.parse(stdout) as PerlReport;
      }),
    );
    for (const report of reports) {
      expect(report.pids).toHaveLength(1);
      expect(report.where).toEqual([`127.0.0.1:${report.sockport}`]);
      expect(report.hits).toEqual(Array.from({ length: 20 }, (_, i) => (i >> 1) + 1));
    }
    const served = counts(reports.map((r) => r.pids[0] as number));
    expect([...served.keys()].sort()).toEqual(backends.map((b) => b.pid).sort());
  });

  it('stops sending new connections to a server whose health check answers 503 while it drains', async () => {
    const [draining, ...others] = backends as [Backend, ...Backend[]];
    const holder = perlHolder(port(), draining.pid, 4_000);
    try {
      expect(await holder.next()).toBe('ON');
      await waitFor(async () => (await draining.child.ask('calls')) === '1', 'the Perl call running');
      expect(await draining.child.ask('drain')).toBe('draining');

      const health = await fetch(`http://127.0.0.1:${draining.healthPort}/health`);
      expect([health.status, await health.text()]).toEqual([503, 'draining\n']);
      const s0 = async () => (await (haproxy as Haproxy).servers()).s0;
      await waitFor(async () => (await s0())?.status === 'DOWN', 's0 DOWN', 2_000);
      expect(await s0()).toEqual({ status: 'DOWN', check: 'L7STS' }); // the 503 took it down, not a refusal

      const sessions = await Promise.all(Array.from({ length: 12 }, () => session(port(), 3)));
      const served = counts(sessions.map((s) => s.pid));
      expect([...served.keys()].sort()).toEqual(others.map((b) => b.pid).sort());
      expect(await holder.next()).toBe(`DONE ${draining.pid}`); // its call finished on the draining server
    } finally {
      holder.stop();
    }
  });
});
