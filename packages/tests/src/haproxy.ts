import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePortPair, tempDir, waitFor } from '@rpc/testkit';

/** Debian's haproxy, as scripts/setup-peers.sh installs it. */
export const HAPROXY = '/usr/sbin/haproxy';
/** How long stop() lets haproxy exit after SIGTERM before killing it. */
const STOP_GRACE_MS = 5_000;

/** One server behind the balancer: its port, and the port of its HTTP health check. */
export interface Backend {
  readonly port: number;
  readonly healthPort: number;
}

/** What the balancer does: how it picks a server, and how often it checks them. */
export interface HaproxyOptions {
  readonly backends: readonly Backend[];
  /** `roundrobin` (default) or `leastconn`. */
  readonly balance?: 'roundrobin' | 'leastconn';
  /** Milliseconds between health checks of each server (default 100). */
  readonly checkIntervalMs?: number;
}

/** A running haproxy in front of the backends; stop() (or `await using`) kills it by its PID. */
export interface Haproxy extends AsyncDisposable {
  /** Where clients connect, on 127.0.0.1. */
  readonly port: number;
  /** What haproxy wrote to stderr so far. */
  stderr(): string;
  /** Each server's state as haproxy sees it (`UP`, `DOWN`, ...) with its last check status (`L7OK`, `L7STS`, ...). */
  servers(): Promise<Record<string, { readonly status: string; readonly check: string }>>;
  stop(): Promise<void>;
}

/**
 * The config: `mode tcp` in front of the backends, each sent a PROXY v2 header and checked with `GET /health` on its
 * health port; the admin socket answers servers().
 */
export function haproxyConfig(port: number, socket: string, options: HaproxyOptions): string {
  const inter = options.checkIntervalMs ?? 100;
  const servers = options.backends.map(
    (backend, i) =>
      `  server s${i} 127.0.0.1:${backend.port} send-proxy-v2 check port ${backend.healthPort} ` +
      `inter ${inter}ms fall 1 rise 1`,
  );
  return [
    'global',
    `  stats socket ${socket} mode 600 level admin`,
    '  maxconn 2000',
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout check 1s',
    'frontend rpc',
    `  bind 127.0.0.1:${port}`,
    '  default_backend servers',
    'backend servers',
    `  balance ${options.balance ?? 'roundrobin'}`,
    '  option httpchk GET /health',
    ...servers,
    '',
  ].join('\n');
}

/** Writes a config in a temporary folder, starts haproxy in the foreground, and resolves once every server is UP. */
export async function startHaproxy(options: HaproxyOptions): Promise<Haproxy> {
  const dir = tempDir('rpc-haproxy-');
  const port = await freePortPair();
  const socket = join(dir.path, 'admin.sock');
  const config = join(dir.path, 'haproxy.cfg');
  writeFileSync(config, haproxyConfig(port, socket, options));
  const child = spawn(HAPROXY, ['-f', config, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      errors += String(error);
      resolve();
    });
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const grace = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(grace);
      }
      dir[Symbol.dispose]();
    })();
    return stopping;
  };
  const haproxy: Haproxy = {
    port,
    stderr: () => errors,
    servers: async () => parseStat(await admin(socket, 'show stat')),
    stop,
    [Symbol.asyncDispose]: stop,
  };
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}: ${errors}`);
      const states = await haproxy.servers().catch(() => ({}));
      return Object.values(states).length === options.backends.length && allUp(states);
    }, 'haproxy and its servers UP');
    return haproxy;
  } catch (error) {
    await stop();
    throw error;
  }
}

function allUp(states: Record<string, { readonly status: string }>): boolean {
  return Object.values(states).every((state) => state.status === 'UP');
}

/** One command on haproxy's admin socket; resolves with its whole answer. */
function admin(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const conn = connect(socket, () => conn.end(`${command}\n`));
    conn.setTimeout(2_000, () => conn.destroy(new Error(`no answer to ${command}`)));
    conn.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    conn.on('error', reject);
    conn.on('close', () => resolve(answer));
  });
}

/** The servers of `show stat` CSV (`# pxname,svname,...`), by name. */
function parseStat(csv: string): Record<string, { status: string; check: string }> {
  const [head = '', ...rows] = csv.trim().split('\n');
  const columns = head.replace(/^# /, '').split(',');
  const at = (name: string): number => columns.indexOf(name);
  const servers: Record<string, { status: string; check: string }> = {};
  for (const row of rows) {
    const fields = row.split(',');
    const name = fields[at('svname')] ?? '';
    if (name === 'FRONTEND' || name === 'BACKEND' || name === '') continue;
    servers[name] = { status: fields[at('status')] ?? '', check: fields[at('check_status')] ?? '' };
  }
  return servers;
}
