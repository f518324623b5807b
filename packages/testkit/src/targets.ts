import type { CpuMode } from './awake.js';

/** One row of the speed issue's table: a path, what it measured before, and the bound to reach with awake CPUs. */
export interface TargetRow {
  readonly path: string;
  /** The figure measured when the target was set, as the issue states it. */
  readonly before: string;
  readonly target: number;
  /** 'atLeast' for ratios to a baseline (the default), 'atMost' for costs such as peak RSS over payload. */
  readonly bound?: 'atLeast' | 'atMost';
  /** This run's figure in each CPU mode. */
  readonly measured: Partial<Record<CpuMode, number>>;
}

/** One figure of each mode's results. */
export function byMode<T>(
  results: Partial<Record<CpuMode, T>>,
  figure: (result: T) => number,
): Partial<Record<CpuMode, number>> {
  const measured: Partial<Record<CpuMode, number>> = {};
  for (const mode of ['idle', 'awake'] as const) {
    const result = results[mode];
    if (result !== undefined) measured[mode] = figure(result);
  }
  return measured;
}

/** The rows as they go into a benchmark's JSON line, each with whether the awake figure meets its target. */
export interface TargetResult extends TargetRow {
  readonly met: boolean | null;
}

export function judge(rows: readonly TargetRow[]): TargetResult[] {
  return rows.map((row) => {
    const awake = row.measured.awake;
    const met = awake === undefined ? null : row.bound === 'atMost' ? awake <= row.target : awake >= row.target;
    return { ...row, met };
  });
}

/** Prints the rows as a table (idle and awake figures, the target, whether awake meets it); returns them judged. */
export function printTargets(title: string, rows: readonly TargetRow[]): TargetResult[] {
  const judged = judge(rows);
  const width = Math.max(20, ...rows.map((row) => row.path.length));
  const cell = (value: number | undefined): string => (value === undefined ? '-' : value.toFixed(2));
  const line = (...cells: string[]): string =>
    cells.map((text, i) => (i === 0 ? text.padEnd(width) : text.padStart(i === 1 ? 24 : 8))).join(' ');
  console.log(`\n${title}`);
  console.log(line('path', 'before', 'idle', 'awake', 'target', 'met'));
  for (const row of judged) {
    const target = `${row.bound === 'atMost' ? '<=' : '>='} ${row.target}`;
    const met = row.met === null ? '-' : row.met ? 'yes' : 'NO';
    console.log(line(row.path, row.before, cell(row.measured.idle), cell(row.measured.awake), target, met));
  }
  return judged;
}
