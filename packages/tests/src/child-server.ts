import { spawn } from 'node:child_process';

/**
 * A server in a child process that prints `READY <port>` once it listens and stops when its stdin closes. close() (or
 * `await using`) ends its stdin and waits for it to exit; it may be called again, and kills a child that does not
 * stop.
 */
export interface ChildServer extends AsyncDisposable {
  readonly port: number;
  /** What it wrote to stderr so far. */
  stderr(): string;
  /** Writes `line` to its stdin and resolves with the next line it prints. */
  ask(line: string): Promise<string>;
  close(): Promise<void>;
}

/** How long close() lets the child stop by itself after its stdin ended, before killing it. */
const STOP_GRACE_MS = 10_000;

export async function startChildServer(command: string, args: string[], cwd: string): Promise<ChildServer> {
  const child = spawn(command, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve()); // it could not be started, or not be killed: nothing left to wait for
  });
  child.stdin.on('error', () => undefined); // EPIPE when it is gone before its stdin ends
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      const grace = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(grace);
    })();
    return closing;
  };
  /** Lines printed after READY, and who waits for the next one. */
  const printed: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  const ask = (line: string): Promise<string> => {
    child.stdin.write(`${line}\n`);
    return new Promise((resolve) => waiting.push(resolve));
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      let ready = false;
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (!ready) {
          const match = /READY (\d+)\n?/.exec(out);
          if (!match) return;
          ready = true;
          out = out.slice(match.index + match[0].length);
          resolve(Number(match[1]));
        }
        for (let end = out.indexOf('\n'); end >= 0; end = out.indexOf('\n')) {
          printed.push(out.slice(0, end));
          out = out.slice(end + 1);
        }
        while (printed.length > 0 && waiting.length > 0) waiting.shift()?.(printed.shift() as string);
      });
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${errors}`)));
    });
    return { port, stderr: () => errors, ask, close, [Symbol.asyncDispose]: close };
  } catch (error) {
    await close();
    throw error;
  }
}
