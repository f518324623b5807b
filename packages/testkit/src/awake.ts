import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** How a benchmark ran: with idle CPUs (on some virtual machines a wake-up costs about 70 µs) or kept busy. */
export type CpuMode = 'idle' | 'awake';

/**
 * Keeps every CPU awake with `nice -n 19` busy loops, so that a round trip
 * does not wait for an idle virtual CPU to wake. On some virtual machines the
 * loops cost the measured processes more than a wake-up does (on the PVM
 * guests this project is built on, raw sequential echo fell from 22k/s to
 * 16k/s with them, and to 8k/s with SCHED_IDLE loops), which is why every
 * benchmark reports both modes. Returns what stops them.
 */
export function keepCpusAwake(): () => void {
  const loops: ChildProcess[] = Array.from({ length: availableParallelism() }, () =>
    spawn('nice', ['-n', '19', process.execPath, '-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
  const stop = (): void => {
    process.off('exit', stop);
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
