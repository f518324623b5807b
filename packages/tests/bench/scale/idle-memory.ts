// Memory per idle connection for bench:scale: an Event::RPC or MessagePack-RPC server fixture in its own process,
// its heap and RSS after a collection before and after `count` idle connections.
import { once } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startChildServer, type ChildServer } from '../../src/child-server.js';
import {
  answerLines,
  askJson,
  closeAll,
  FIXTURES,
  openInBatches,
  RAISE_FDS,
  START_TIMEOUT_MS,
  startAll,
  startRole,
  within,
} from './children.js';

/** [0, 0, "echo", ["x"]] in MessagePack: each idle MessagePack-RPC connection has served one call. */
const ECHO_REQUEST = Buffer.from([0x94, 0x00, 0x00, 0xa4, ...Buffer.from('echo'), 0x91, 0xa1, 0x78]);

async function openIdleMprpc(port: number): Promise<Socket> {
  const socket = tcpConnect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(ECHO_REQUEST);
  await once(socket, 'data'); // the answer, [1, 0, nil, "x"]: six bytes, in one read
  return socket;
}

/** `count` idle MessagePack-RPC connections, as fixtures/idle-clients.mjs opens Event::RPC ones. */
export async function runIdleMprpc(port: number, count: number): Promise<void> {
  const sockets = await openInBatches(count, () => openIdleMprpc(port));
  answerLines(sockets.length, () => ({}));
}

export type ServerKind = 'eventRpc' | 'mprpc';

interface MemoryStats {
  readonly connections: number;
  readonly heapUsed: number;
  readonly rss: number;
}

export interface IdleMemory {
  readonly connections: number;
  readonly heapBytesPerConn: number;
  readonly rssBytesPerConn: number;
  readonly before: { readonly heapUsed: number; readonly rss: number };
  readonly after: { readonly heapUsed: number; readonly rss: number };
}

/** The server fixture, its memory its own; 'stats gc' gives its heap after a collection. */
function startMemoryServer(kind: ServerKind, count: number): Promise<ChildServer> {
  const limits = { maxConnections: count + 10, maxConnectionsPerAddress: count + 10 };
  const fixture = join(FIXTURES, kind === 'eventRpc' ? 'load-server.mjs' : 'mprpc-load-server.mjs');
  const command = [process.execPath, '--expose-gc', fixture, JSON.stringify(limits)];
  return within(startChildServer('sh', ['-c', RAISE_FDS, ...command], process.cwd()), `${kind} server`);
}

/** Event::RPC: negotiated (MessagePack), which is all this server asks before calls. MessagePack-RPC: one call. */
function openIdle(kind: ServerKind, port: number, count: number): Promise<ChildServer> {
  if (kind === 'mprpc') return startRole('mprpc-idle', { port, count });
  const command = [process.execPath, join(FIXTURES, 'idle-clients.mjs'), String(port), String(count)];
  return within(startChildServer('sh', ['-c', RAISE_FDS, ...command], process.cwd()), 'idle clients');
}

async function untilConnections(server: ChildServer, count: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while ((await askJson<MemoryStats>(server, 'stats')).connections !== count) {
    if (Date.now() > deadline) throw new Error(`the server never had ${count} connections`);
    await sleep(100);
  }
}

export async function idleMemory(kind: ServerKind, count: number): Promise<IdleMemory> {
  const children: ChildServer[] = [];
  try {
    await startAll([() => startMemoryServer(kind, count)], children);
    const server = children[0] as ChildServer;
    const before = await askJson<MemoryStats>(server, 'stats gc');
    await startAll([() => openIdle(kind, server.port, count)], children);
    await untilConnections(server, count);
    const after = await askJson<MemoryStats>(server, 'stats gc');
    return {
      connections: count,
      heapBytesPerConn: Math.round((after.heapUsed - before.heapUsed) / count),
      rssBytesPerConn: Math.round((after.rss - before.rss) / count),
      before: { heapUsed: before.heapUsed, rss: before.rss },
      after: { heapUsed: after.heapUsed, rss: after.rss },
    };
  } finally {
    await closeAll(children.reverse());
  }
}

export function reportMemory(memory: Record<ServerKind, IdleMemory>, count: number): void {
  const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
  console.log(`\nmemory per idle connection, ${count} connections, after a collection (server process only)`);
  console.log(
    `${'server'.padEnd(16)} ${'heap MiB before/after'.padStart(22)} ${'RSS MiB before/after'.padStart(21)} ` +
      `${'heap B/conn'.padStart(12)} ${'RSS B/conn'.padStart(11)}`,
  );
  for (const [name, m] of [
    ['Event::RPC', memory.eventRpc],
    ['MessagePack-RPC', memory.mprpc],
  ] as const) {
    console.log(
      `${name.padEnd(16)} ${`${mib(m.before.heapUsed)}/${mib(m.after.heapUsed)}`.padStart(22)} ` +
        `${`${mib(m.before.rss)}/${mib(m.after.rss)}`.padStart(21)} ${String(m.heapBytesPerConn).padStart(12)} ` +
        `${String(m.rssBytesPerConn).padStart(11)}`,
    );
  }
  console.log(
    'idle: Event::RPC connections have negotiated MessagePack (this server needs no login); MessagePack-RPC ones ' +
      'have served one call. The kernel socket buffers are not in RSS.',
  );
}
