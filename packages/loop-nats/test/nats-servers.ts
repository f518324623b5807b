import { type ChildProcess, spawn } from 'node:child_process';
import { freePortPair } from '@rpc/testkit';

/** A nats-server child of this test process. */
export interface NatsServer extends AsyncDisposable {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Its cluster (route) port, when it is part of a cluster. */
  readonly clusterPort: number | undefined;
  /** Kills it at once (SIGKILL), as a crash would, and resolves when it is gone. */
  kill(): Promise<void>;
}

const READY = /Server is ready/;
const READY_WITHIN_MS = 10_000;

/**
 * Starts `nats-server` on a free port of 127.0.0.1 and resolves once it says it is ready. With `cluster`, it also
 * listens for routes on its own free port and connects to the `routes` given.
 */
export async function startNatsServer(cluster?: { routes: readonly number[]; port?: number }): Promise<NatsServer> {
  const port = await freePortPair();
  const clusterPort = cluster === undefined ? undefined : (cluster.port ?? port + 1);
  const args = ['-a', '127.0.0.1', '-p', String(port)];
  if (clusterPort !== undefined) {
    args.push('--cluster_name', 'rpc-test', '--cluster', `nats://127.0.0.1:${clusterPort}`);
    if (cluster && cluster.routes.length > 0) {
      args.push('--routes', cluster.routes.map((route) => `nats://127.0.0.1:${route}`).join(','));
    }
  }
  const child = spawn('nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`nats-server not ready: ${log}`)), READY_WITHIN_MS);
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (READY.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`nats-server exited with ${code}: ${log}`)));
  }).catch(async (error) => {
    await killChild(child, gone);
    throw error;
  });
  const kill = (): Promise<void> => killChild(child, gone);
  return { url: `nats://127.0.0.1:${port}`, port, clusterPort, kill, [Symbol.asyncDispose]: kill };
}

function killChild(child: ChildProcess, gone: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  return gone;
}
