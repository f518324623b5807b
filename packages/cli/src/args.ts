import { cliError, messageOf } from './errors.js';

/** Options every command takes. */
export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  timeout: { type: 'string', short: 't' },
} as const;

/** The TLS options (`--ca`, `--ca-path` and `--insecure` imply `--tls`). */
export const TLS_OPTIONS = {
  tls: { type: 'boolean' },
  ca: { type: 'string' },
  'ca-path': { type: 'string' },
  insecure: { type: 'boolean', short: 'k' },
} as const;

/** The login options. */
export const LOGIN_OPTIONS = {
  user: { type: 'string', short: 'u' },
  password: { type: 'string' },
} as const;

/** Marks an argument that looks like a negative number, so that parseArgs does not take it for an option. */
const NUMBER_MARK = '\u0000';
const NEGATIVE_NUMBER = /^-(\d|\.\d|Infinity$)/;

/**
 * Runs `parse` (node:util's parseArgs) over `args` with negative numbers kept as arguments (`-1` is no option of
 * ours, and neovim's `nvim_buf_get_lines 0 0 -1 false` needs it), and turns its errors into CLI_USAGE.
 */
export function parseCommandLine<R extends { values: object; positionals: string[] }>(
  args: readonly string[],
  parse: (args: string[]) => R,
): R {
  const end = args.indexOf('--');
  const marked = args.map((arg, i) =>
    (end < 0 || i < end) && NEGATIVE_NUMBER.test(arg) ? `${NUMBER_MARK}${arg}` : arg,
  );
  let parsed: R;
  try {
    parsed = parse(marked);
  } catch (error) {
    // parseArgs's first sentence ("Unknown option '--nope'"), without its advice about positionals.
    throw cliError('CLI_USAGE', messageOf(error).split(/\.(\s|$)/)[0] ?? '');
  }
  const unmark = (value: unknown): unknown =>
    typeof value === 'string' && value.startsWith(NUMBER_MARK)
      ? value.slice(1)
      : Array.isArray(value)
        ? value.map(unmark)
        : value;
  return {
    ...parsed,
    values: Object.fromEntries(Object.entries(parsed.values).map(([k, v]) => [k, unmark(v)])) as R['values'],
    positionals: parsed.positionals.map((p) => unmark(p) as string),
  };
}

/** `--timeout SECONDS` in milliseconds (undefined when not given); a positive number of seconds. */
export function timeoutMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds <= 0)
    throw cliError('CLI_USAGE', `--timeout takes a positive number of seconds, not '${text}'`);
  return Math.max(1, Math.round(seconds * 1000));
}

/** Throws CLI_USAGE unless there are between `min` and `max` positionals (`names` says what they are). */
export function expectPositionals(positionals: readonly string[], min: number, max: number, names: string): void {
  if (positionals.length < min) throw cliError('CLI_USAGE', `missing arguments: expected ${names}`);
  if (positionals.length > max)
    throw cliError('CLI_USAGE', `unexpected argument '${positionals[max]}': expected ${names}`);
}
