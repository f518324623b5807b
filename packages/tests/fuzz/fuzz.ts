// pnpm fuzz [--count N] [--seconds S] [--seed N] [--targets JSON,CBOR,...]
// (or FUZZ_COUNT, FUZZ_SECONDS, FUZZ_SEED, FUZZ_TARGETS): N random and mutated inputs per target (default a
// million; S seconds at most per target, if given) through the four decoders, the msg FrameDecoder and the
// MessagePack-RPC ValueSplitter. Only each target's own codec or protocol errors may come out, no run may be slow
// (over 100 ms in each of 3 tries), values must be plain data and the prototypes left alone. Ends by printing one
// JSON line: per target the inputs, the values decoded, the errors by code and the slowest run; the peak RSS; the
// problems found (with their inputs in hex). Exits with 1 when there are problems.
import { parseArgs } from 'node:util';
import { prototypeChange, Rng } from '@rpc/testkit';
import { type Target, targets } from './targets.js';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string' },
    seconds: { type: 'string' },
    seed: { type: 'string' },
    targets: { type: 'string' },
  },
});
const COUNT = Number(args.count ?? process.env.FUZZ_COUNT ?? 1_000_000);
const SECONDS = Number(args.seconds ?? process.env.FUZZ_SECONDS ?? Number.POSITIVE_INFINITY);
const SEED = Number(args.seed ?? process.env.FUZZ_SEED ?? 0xf022);
const ONLY = (args.targets ?? process.env.FUZZ_TARGETS)?.split(',');
const SLOW_MS = 100;
const TRIES = 3;
/** Inputs between checks of the prototypes (a check walks them, which costs more than most runs). */
const CHECK_EVERY = 100;
const MAX_PROBLEMS = 20;

interface Tally {
  inputs: number;
  ok: number;
  errors: Record<string, number>;
  slowest: { ms: number; bytes: number; input: string };
  problems: number;
}

const hex = (bytes: Uint8Array, max = 256): string => Buffer.from(bytes.subarray(0, max)).toString('hex');
const codeOf = (error: unknown): string =>
  (error as { code?: unknown })?.code !== undefined ? String((error as { code: unknown }).code) : String(error);

/** Runs `input`, in ms: the error it threw (undefined if none) and what else went wrong. */
function timed(target: Target, input: Uint8Array, seed: number): { ms: number; error: unknown; problem?: string } {
  const started = process.hrtime.bigint();
  let error: unknown;
  let problem: string | undefined;
  try {
    problem = target.run(input, seed);
  } catch (thrown) {
    error = thrown ?? new Error(`threw ${String(thrown)}`);
  }
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, error, problem };
}

/** The fastest of `TRIES` runs: one run can be stalled by the collector or the machine, not every one. */
function fastest(target: Target, input: Uint8Array, seed: number, first: number): number {
  let best = first;
  for (let i = 1; i < TRIES; i++) best = Math.min(best, timed(target, input, seed).ms);
  return best;
}

function fuzz(target: Target, seed: number, problems: string[]): Tally {
  const tally: Tally = { inputs: 0, ok: 0, errors: {}, slowest: { ms: 0, bytes: 0, input: '' }, problems: 0 };
  const rng = new Rng(seed);
  const deadline = performance.now() + SECONDS * 1000;
  const problem = (input: Uint8Array, what: string) => {
    tally.problems++;
    if (problems.length < MAX_PROBLEMS) problems.push(`${target.name} input ${hex(input)}: ${what}`);
  };
  for (let i = 0; i < COUNT && (i % 1000 !== 0 || performance.now() < deadline); i++) {
    const input = target.input(rng);
    const run = timed(target, input, i);
    tally.inputs++;
    if (run.error === undefined) tally.ok++;
    else {
      const code = codeOf(run.error);
      tally.errors[code] = (tally.errors[code] ?? 0) + 1;
      if (!target.allowed(run.error)) problem(input, `threw ${(run.error as Error)?.stack ?? String(run.error)}`);
    }
    if (run.problem !== undefined) problem(input, run.problem);
    if (run.ms > tally.slowest.ms) {
      const ms = fastest(target, input, i, run.ms);
      if (ms > SLOW_MS) problem(input, `took over ${SLOW_MS} ms in each of ${TRIES} runs`);
      if (ms > tally.slowest.ms)
        tally.slowest = { ms: Number(ms.toFixed(3)), bytes: input.length, input: hex(input, 32) };
    }
    if (i % CHECK_EVERY === 0) {
      const changed = prototypeChange();
      if (changed !== undefined) problem(input, `${changed} (within the last ${CHECK_EVERY} inputs)`);
    }
  }
  return tally;
}

const started = performance.now();
const problems: string[] = [];
const results: Record<string, Tally> = {};
for (const [i, target] of targets(SEED).entries()) {
  if (ONLY !== undefined && !ONLY.includes(target.name)) continue;
  results[target.name] = fuzz(target, (SEED ^ (i * 0x85ebca6b)) >>> 0, problems);
}
const problemCount = Object.values(results).reduce((sum, tally) => sum + tally.problems, 0);
console.log(
  JSON.stringify({
    seed: SEED,
    count: COUNT,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    slowestMs: Math.max(0, ...Object.values(results).map((tally) => tally.slowest.ms)),
    targets: results,
    problems: problemCount,
    firstProblems: problems,
  }),
);
process.exitCode = problemCount > 0 ? 1 : 0;
