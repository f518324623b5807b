import { execFileSync, spawn } from 'node:child_process';

/**
 * The nats-server the `nats` adapter's loops meet on, shared by this process
 * and the processes it starts. Its URL is chosen when this module loads
 * (a free port, in RPC_NATS_URL, which child processes inherit, unless it
 * is set already), and the server is started on first use by whichever
 * process of the tree needs it first: a benchmark forks its servers before
 * its own clients connect, so a child may be the one that starts it. Each
 * server runs under a shell that kills it when its starter's stdin pipe
 * closes, so it never outlives that process, even one that is killed.
 */
export const NATS_URL_ENV = 'RPC_NATS_URL';

const node = process.execPath;
/** Prints a port of 127.0.0.1 that was free a moment ago. */
const FREE_PORT =
  "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})";
/** Exits 0 once something accepts on the port in argv, 1 after `ms` of trying. */
const ACCEPTS = (ms: number): string =>
  `const net=require('net'),end=Date.now()+${ms},p=+process.argv[1];` +
  "(function t(){const c=net.connect(p,'127.0.0.1',()=>process.exit(0));" +
  "c.on('error',()=>Date.now()>end?process.exit(1):setTimeout(t,20))})()";

process.env[NATS_URL_ENV] ??= `nats://127.0.0.1:${execFileSync(node, ['-e', FREE_PORT]).toString().trim()}`;

let ensured: string | undefined;

/** The URL of the shared nats-server, started first if nobody in this process tree has started it yet. */
export function natsServerUrl(): string {
  if (ensured !== undefined) return ensured;
  const url = process.env[NATS_URL_ENV] as string;
  const port = Number(new URL(url).port);
  if (!accepts(port, 0)) {
    // `read` returns when this process's end of the pipe closes: at its exit, however it ends.
    const script = 'nats-server -a 127.0.0.1 -p "$0" >/dev/null 2>&1 & pid=$!; read _; kill $pid; wait $pid';
    const shell = spawn('sh', ['-c', script, String(port)], { stdio: ['pipe', 'ignore', 'ignore'] });
    shell.unref();
    (shell.stdin as unknown as { unref?(): void }).unref?.(); // the pipe must not keep this process alive
    if (!accepts(port, 10_000)) throw new Error(`nats-server did not start on ${url}`);
  }
  ensured = url;
  return url;
}

function accepts(port: number, withinMs: number): boolean {
  try {
    execFileSync(node, ['-e', ACCEPTS(withinMs), String(port)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
