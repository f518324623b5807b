import { spawn } from 'node:child_process';

/** A server in a child process that prints `READY <port>` once it listens and stops when its stdin closes. */
export interface ChildServer {
  readonly port: number;
  /** What it wrote to stderr so far. */
  stderr(): string;
  close(): Promise<void>;
}

export async function startChildServer(command: string, args: string[], cwd: string): Promise<ChildServer> {
  const child = spawn(command, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', (code) => reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${errors}`)));
  });
  return {
    port,
    stderr: () => errors,
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      await exited;
    },
  };
}
