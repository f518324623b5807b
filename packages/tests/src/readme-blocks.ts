import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
export const root = resolve(__dirname, '..', '..', '..');

export interface CodeBlock {
  /** The README it is in, relative to the repository, and its place there (1 for the first block). */
  readonly readme: string;
  readonly index: number;
  /** The fence's language (`ts`) and what follows it (`run` marks a program the tests run). */
  readonly lang: string;
  readonly run: boolean;
  readonly heading: string;
  readonly code: string;
}

/** The fenced code blocks of a Markdown file, with their language and the heading they stand under. */
export function codeBlocks(markdownFile: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const readme = relative(root, markdownFile);
  let heading = '';
  let open: { lang: string; run: boolean; lines: string[] } | undefined;
  for (const line of readFileSync(markdownFile, 'utf8').split('\n')) {
    const fence = /^```(\w*)((?:\s+\w+)*)\s*$/.exec(line);
    if (open !== undefined) {
      if (fence !== null && fence[1] === '') {
        blocks.push({
          readme,
          index: blocks.length + 1,
          lang: open.lang,
          run: open.run,
          heading,
          code: `${open.lines.join('\n')}\n`,
        });
        open = undefined;
      } else open.lines.push(line);
    } else if (fence !== null) open = { lang: fence[1] ?? '', run: /\brun\b/.test(fence[2] ?? ''), lines: [] };
    else if (line.startsWith('#')) heading = line.replace(/^#+\s*/, '');
  }
  return blocks;
}

/** The root README and every package's. */
export function readmes(): string[] {
  const packages = join(root, 'packages');
  return [join(root, 'README.md'), ...readdirSync(packages).map((name) => join(packages, name, 'README.md'))].filter(
    (file) => {
      try {
        return readFileSync(file, 'utf8').length > 0;
      } catch {
        return false;
      }
    },
  );
}

/** A file name for a block: where it comes from, readable in a compiler message. */
export function fileNameOf(block: CodeBlock): string {
  return `${block.readme.replace(/[/.]/g, '_')}-${block.index}.mts`;
}

/** How a user compiles a pasted block: strict, for Node 20, as an ES module or CommonJS by its extension. */
export const TSC_FLAGS = [
  '--noEmit',
  '--strict',
  '--skipLibCheck',
  '--target',
  'es2022',
  '--module',
  'nodenext',
  '--moduleResolution',
  'nodenext',
  '--lib',
  'es2022,esnext.disposable',
  '--types',
  'node',
];

/**
 * A folder inside packages/tests, so that @rpc/* and @types/node resolve as from a user's node_modules; removed after
 * `use`.
 */
async function inUserProject<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(__dirname, '..', '.user-'));
  try {
    return await use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Type-checks each of `files` (name → code) as a module of its own, as a
 * user who pasted it into that file would, under `strict`, in one compiler
 * run. Resolves with the compiler's messages for each file (none when it
 * compiles).
 */
export function typeCheck(files: ReadonlyMap<string, string>): Promise<Map<string, string[]>> {
  return inUserProject(async (dir) => {
    for (const [name, code] of files) writeFileSync(join(dir, name), code);
    const messages = new Map<string, string[]>([...files.keys()].map((name) => [name, []]));
    // The compiler reports no type errors while any file has syntax errors: such files are set aside, and the rest
    // checked again.
    let remaining = [...files.keys()];
    while (remaining.length > 0) {
      const output = await compile(dir, remaining);
      for (const name of remaining) messages.set(name, []); // what an earlier round said of these is said again
      const broken = new Set<string>();
      for (const line of output.split('\n')) {
        const match = /^([\w.-]+\.mts)\(\d+,\d+\): error TS(\d+)/.exec(line);
        if (match === null) continue;
        messages.get(match[1] as string)?.push(line);
        if ((match[2] as string).startsWith('1')) broken.add(match[1] as string);
      }
      if (broken.size === 0) break;
      remaining = remaining.filter((name) => !broken.has(name));
    }
    return messages;
  });
}

function compile(dir: string, names: readonly string[]): Promise<string> {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  return exec(process.execPath, [tsc, ...TSC_FLAGS, ...names], { cwd: dir, timeout: 120_000 }).then(
    () => '',
    (error: { stdout?: string }) => error.stdout ?? String(error),
  );
}

export interface UserRun {
  /** Environment variables besides the test's own. */
  readonly env?: Record<string, string>;
  /** What the user types: written to the program's stdin, which then ends. */
  readonly input?: string;
  readonly timeoutMs?: number;
  /** Files that come with the program (a Perl script it runs, say), by name, written beside it. */
  readonly files?: Readonly<Record<string, string>>;
  /** Told what the program has printed so far, each time it prints: where a test acts on what it says. */
  readonly onStdout?: (printed: string) => void;
}

/**
 * Runs `code` as a user would who pasted it into `name` (an .mts file) in a
 * project with the @rpc packages installed: type-checked under `strict`, then
 * run with tsx. Resolves with what it printed; rejects if either step fails.
 */
export async function runAsUser(
  name: string,
  code: string,
  { env = {}, input = '', timeoutMs = 60_000, files = {}, onStdout }: UserRun = {},
): Promise<{ stdout: string; stderr: string }> {
  const problems = (await typeCheck(new Map([[name, code]]))).get(name) ?? [];
  if (problems.length > 0) throw new Error(`${name} does not compile under strict:\n${problems.join('\n')}`);
  return inUserProject(async (dir) => {
    writeFileSync(join(dir, name), code);
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    return runProgram(join(root, 'node_modules', '.bin', 'tsx'), [join(dir, name)], {
      cwd: dir,
      env: { ...process.env, ...env },
      input,
      timeoutMs,
      onStdout,
    });
  });
}

/** Runs a program to its end with `input` on stdin; rejects on a non-zero exit or after `timeoutMs`. */
function runProgram(
  command: string,
  args: string[],
  o: { cwd: string; env: NodeJS.ProcessEnv; input: string; timeoutMs: number; onStdout?: (printed: string) => void },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: o.cwd, env: o.env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      o.onStdout?.(stdout);
    });
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
