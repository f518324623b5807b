import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePortPair, removeWhenDone } from '@rpc/testkit';

// What the release test needs: a copy of this tree as a fresh clone has it, and a local registry.
const exec = promisify(execFile);
export const root = join(__dirname, '..', '..', '..');
const bin = (tool: string): string => join(root, 'node_modules', '.bin', tool);

/** A command's outcome, failed or not: its exit code and what it printed. */
export interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let shims: string | undefined;

/** A folder with a `pnpm` that runs pnpm 10 through npx, as this repository's README does: lerna calls `pnpm`. */
function withPnpm(): string {
  if (shims === undefined) {
    shims = mkdtempSync(join(tmpdir(), 'rpc-pnpm-'));
    writeFileSync(join(shims, 'pnpm'), '#!/bin/sh\nexec npx -y pnpm@10 "$@"\n', { mode: 0o755 });
    removeWhenDone(shims);
  }
  return shims;
}

/** Runs `file` with `args` in `cwd` and reports how it ended instead of throwing. */
export async function run(file: string, args: readonly string[], cwd: string): Promise<Outcome> {
  try {
    const { stdout, stderr } = await exec(file, [...args], {
      cwd,
      env: {
        ...process.env,
        PATH: `${withPnpm()}:${process.env.PATH}`,
        NX_DAEMON: 'false',
        NX_NO_CLOUD: 'true',
      },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 240_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    const code = typeof failed.code === 'number' ? failed.code : 1;
    return { code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? String(error) };
  }
}

/** Runs a tool of this repository's node_modules/.bin in `cwd`. */
export const tool = (name: string, args: readonly string[], cwd: string): Promise<Outcome> => run(bin(name), args, cwd);

/**
 * Copies the tree as git sees it (tracked files and new ones it does not ignore, so no dist/ and no build info) to
 * `into`, as a git repository of its own on `main` with one commit. The installed dependencies are linked, not
 * copied: the root's node_modules by a link, each package's by copying its links (which are relative).
 */
export async function copyOfTree(into: string): Promise<void> {
  const { stdout } = await exec('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
  });
  for (const file of stdout.split('\0').filter((f) => f !== '' && existsSync(join(root, f)))) {
    cpSync(join(root, file), join(into, file), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(into, 'node_modules'));
  for (const name of readdirSync(join(root, 'packages'))) {
    const modules = join(root, 'packages', name, 'node_modules');
    if (existsSync(modules))
      cpSync(modules, join(into, 'packages', name, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  }
  await git(into, 'init', '-q', '-b', 'main');
  await git(into, 'add', '-A');
  await git(into, 'commit', '-q', '-m', 'chore: the tree under test');
}

/** Runs git in `cwd` as a throwaway author. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const author = [
    '-c',
    'user.name=Release Test',
    '-c',
    'user.email=release@test.invalid',
    '-c',
    'commit.gpgsign=false',
  ];
  return (await exec('git', [...author, ...args], { cwd })).stdout;
}

/** A local Verdaccio on 127.0.0.1 that keeps @rpc packages and has no uplink; `stop()` ends it by its PID. */
export interface Registry {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts Verdaccio with its storage in `dir` and resolves once it answers its ping. */
export async function startRegistry(dir: string): Promise<Registry> {
  mkdirSync(join(dir, 'storage'), { recursive: true });
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      'storage: ./storage',
      'auth: { htpasswd: { file: ./htpasswd, max_users: -1 } }',
      'uplinks: {}',
      "packages: { '@rpc/*': { access: $all, publish: $all }, '**': { access: $all } }",
      'log: { type: stdout, format: pretty, level: warn }',
    ].join('\n'),
  );
  const port = await freePortPair(); // Verdaccio cannot listen on port 0 and say which port it got
  const child: ChildProcess = spawn(bin('verdaccio'), ['--config', 'config.yaml', '--listen', `127.0.0.1:${port}`], {
    cwd: dir,
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}/`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid as number, 'SIGTERM');
    await exited;
  };
  for (const started = Date.now(); Date.now() - started < 120_000; ) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited with ${child.exitCode}`);
    const answer = await fetch(`${url}-/ping`).catch(() => undefined);
    if (answer?.ok) return { url, stop };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error('verdaccio did not answer within 120 s');
}
