import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(__dirname, '..', '..', '..');

/** The fenced code blocks of a Markdown file, with their language and the heading they stand under. */
export function codeBlocks(markdownFile: string): Array<{ lang: string; heading: string; code: string }> {
  const blocks: Array<{ lang: string; heading: string; code: string }> = [];
  let heading = '';
  let open: { lang: string; lines: string[] } | undefined;
  for (const line of readFileSync(markdownFile, 'utf8').split('\n')) {
    const fence = /^```(\w*)\s*$/.exec(line);
    if (open !== undefined) {
      if (fence !== null && fence[1] === '') {
        blocks.push({ lang: open.lang, heading, code: `${open.lines.join('\n')}\n` });
        open = undefined;
      } else open.lines.push(line);
    } else if (fence !== null) open = { lang: fence[1] ?? '', lines: [] };
    else if (line.startsWith('#')) heading = line.replace(/^#+\s*/, '');
  }
  return blocks;
}

export interface UserRun {
  /** Environment variables besides the test's own. */
  readonly env?: Record<string, string>;
  /** What the user types: written to the program's stdin, which then ends. */
  readonly input?: string;
  readonly timeoutMs?: number;
}

/**
 * Runs `code` as a user would who pasted it into `name` (an .mts file) in a
 * project with the @rpc packages installed: type-checked under `strict`, then
 * run with tsx. Resolves with what it printed; rejects if either step fails.
 */
export async function runAsUser(name: string, code: string, { env = {}, input = '', timeoutMs = 60_000 }: UserRun = {}): Promise<{ stdout: string; stderr: string }> {
  // Inside packages/tests, so that @rpc/* and @types/node resolve as they would from a user's node_modules.
  const dir = mkdtempSync(join(__dirname, '..', '.user-'));
  const file = join(dir, name);
  writeFileSync(file, code);
  try {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const flags = ['--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--lib', 'es2022,esnext.disposable', '--types', 'node'];
    await run(process.execPath, [tsc, ...flags, file], { cwd: dir, timeout: timeoutMs }).catch((error: { stdout?: string }) => {
      throw new Error(`${name} does not compile under strict:\n${error.stdout ?? String(error)}`);
    });
    return await runProgram(join(root, 'node_modules', '.bin', 'tsx'), [file], { cwd: dir, env: { ...process.env, ...env }, input, timeoutMs });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a program to its end with `input` on stdin; rejects on a non-zero exit or after `timeoutMs`. */
function runProgram(command: string, args: string[], o: { cwd: string; env: NodeJS.ProcessEnv; input: string; timeoutMs: number }): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: o.cwd, env: o.env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill(), o.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${args.join(' ')} ended with ${signal ?? `exit code ${code}`}:\n${stderr}`));
    });
    child.stdin.end(o.input);
  });
}
