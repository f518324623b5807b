import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** How a benchmark ran: with idle CPUs (each wake-up costs a virtual CPU about 70 µs) or with them kept busy. */
export type CpuMode = 'idle' | 'awake';

/**
 * Keeps every CPU awake with lowest-priority busy loops (`nice -n 19`), so that
 * a round trip does not wait for an idle virtual CPU to wake; the measured
 * processes still get the CPUs whenever they want them. Returns what stops them.
 */
export function keepCpusAwake(): () => void {
  const loops: ChildProcess[] = Array.from({ length: availableParallelism() }, () =>
    spawn('nice', ['-n', '19', process.execPath, '-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
  const stop = (): void => {
    for (const loop of loops) loop.kill('SIGKILL');
  };
  process.once('exit', stop); // never leave them spinning
  return stop;
}

/** Runs `run` once per mode, the CPUs kept awake during the 'awake' one. */
export async function inCpuModes<T>(
  modes: readonly CpuMode[],
  run: (mode: CpuMode) => Promise<T>,
): Promise<Record<CpuMode, T>> {
  const results: Partial<Record<CpuMode, T>> = {};
  for (const mode of modes) {
    const stop = mode === 'awake' ? keepCpusAwake() : () => undefined;
    try {
      results[mode] = await run(mode);
    } finally {
      stop();
    }
  }
  return results as Record<CpuMode, T>;
}
