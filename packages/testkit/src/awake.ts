import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** How a benchmark ran: with idle CPUs (each wake-up costs a virtual CPU about 70 µs) or with them kept busy. */
export type CpuMode = 'idle' | 'awake';

/**
 * Keeps every CPU awake with busy loops under SCHED_IDLE (`chrt --idle 0`),
 * which run only when nothing else wants the CPU, so that a round trip does
 * not wait for an idle virtual CPU to wake while the measured processes still
 * get the CPUs at once (a `nice -n 19` loop is preempted later, and was seen
 * to slow them). Returns what stops them.
 */
export function keepCpusAwake(): () => void {
  const loops: ChildProcess[] = Array.from({ length: availableParallelism() }, () =>
    spawn('chrt', ['--idle', '0', process.execPath, '-e', 'for (;;) {}'], { stdio: 'ignore' }),
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
