import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

// Where a benchmark's time goes: V8's sampling profiler in every process
// (servers run under --cpu-prof, the client profiles itself through the
// inspector), and the frames with the most time of their own.

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Node flags that make a forked process write its profile into `dir` when it exits. */
export function profileFlags(dir: string): string[] {
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/**
 * Runs `run` with this process (the client) profiled and `server` (forked with profileFlags(dir)) stopped after it,
 * then prints the top frames of both.
 */
export async function profiled(
  dir: string,
  server: { readonly pid: number; stop(): Promise<void> },
  run: () => Promise<void>,
): Promise<void> {
  const stop = await profileSelf(dir, `client-${process.pid}`);
  try {
    await run();
  } finally {
    printTopFrames('client', await stop());
    await server.stop();
    // --cpu-prof names files CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; the largest is the main thread's.
    const files = readdirSync(dir)
      .filter((name) => name.includes(`.${server.pid}.`))
      .map((name) => join(dir, name))
      .sort((a, b) => statSync(b).size - statSync(a).size);
    if (files[0] !== undefined) printTopFrames('server', files[0]);
  }
}

/** Starts profiling this process; the function returned stops and writes `<dir>/<name>.cpuprofile`. */
async function profileSelf(dir: string, name: string): Promise<() => Promise<string>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    return file;
  };
}

/** The `count` frames with the most self time, as percentages of the busy (not idle) time. */
export function topFrames(file: string, count = 12): { frame: string; percent: number }[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const frame = (nodes.get(id) as ProfileNode).callFrame;
    if (frame.functionName === '(idle)') return;
    const where = frame.url === '' ? '' : ` ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`;
    const key = `${frame.functionName || '(anonymous)'}${where}`;
    const delta = profile.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + delta);
    busy += delta;
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([frame, time]) => ({ frame, percent: Number(((100 * time) / busy).toFixed(1)) }));
}

function printTopFrames(title: string, file: string, count = 12): void {
  console.log(`\n${title} (${file}), self time, % of busy time:`);
  for (const { frame, percent } of topFrames(file, count)) console.log(`${percent.toFixed(1).padStart(6)}%  ${frame}`);
}
