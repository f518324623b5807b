// What the processes of bench:scale share: how a child answers its parent line by line, and how the parent starts
// children (this benchmark's own script in a role, or a fixture) with as many file descriptors as the system allows.
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startChildServer, type ChildServer } from '../../src/child-server.js';

/** The benchmark's script, which runs each role. */
export const SCALE_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'scale.ts');
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');
/** Longest waits for a child to start (and open its connections) and to answer: the run stays bounded. */
export const START_TIMEOUT_MS = 60_000;
export const ANSWER_TIMEOUT_MS = 10_000;
/** 10,000 connections need as many file descriptors in the server and in the client process. */
export const RAISE_FDS = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';
/** Connections a load generator opens one after another rather than in batches. */
const FEW = 64;

/** Prints READY <ready>, answers each line on stdin with one JSON line, and runs `end` when stdin ends. */
export function answerLines(
  ready: number,
  answer: (line: string) => unknown,
  end: () => void = () => process.exit(0),
): void {
  process.stdout.write(`READY ${ready}\n`);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', async (line) => process.stdout.write(`${JSON.stringify(await answer(line.trim()))}\n`));
  lines.on('close', end);
}

export const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

export const cpuMicros = (): number => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/**
 * In batches, as many at a time as a listen backlog takes; a few (up to `FEW`) one after another, which is what makes
 * node:cluster's round-robin deal them out evenly (opened at once, 4 connections often went 3 to one server, 1 to the
 * other).
 */
export async function openInBatches<T>(count: number, open: () => Promise<T>): Promise<T[]> {
  const opened: T[] = [];
  const batch = count <= FEW ? 1 : 250;
  for (let done = 0; done < count; done += batch) {
    opened.push(...(await Promise.all(Array.from({ length: Math.min(batch, count - done) }, open))));
  }
  return opened;
}

export function within<T>(promise: Promise<T>, what: string, ms = START_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing in ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** This script in another process, in `role`, with as many file descriptors as the system allows. */
export function startRole(role: string, args: Record<string, number>): Promise<ChildServer> {
  const argv = Object.entries(args).flatMap(([name, value]) => [`--${name}`, String(value)]);
  const command = [process.execPath, ...process.execArgv, SCALE_SCRIPT, '--role', role, ...argv];
  return within(startChildServer('sh', ['-c', RAISE_FDS, ...command], process.cwd()), role);
}

export async function askJson<T>(child: ChildServer, line: string): Promise<T> {
  return JSON.parse(await within(child.ask(line), line, ANSWER_TIMEOUT_MS)) as T;
}

/** Starts every child at once; what started is pushed to `into` (to be closed) even when another fails. */
export async function startAll(starts: Array<() => Promise<ChildServer>>, into: ChildServer[]): Promise<void> {
  const results = await Promise.allSettled(starts.map((start) => start()));
  for (const result of results) if (result.status === 'fulfilled') into.push(result.value);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

export async function closeAll(children: readonly ChildServer[]): Promise<void> {
  await Promise.all(children.map((child) => child.close()));
}
