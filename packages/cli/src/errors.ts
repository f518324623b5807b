import { errorFactory, type RpcError, UsageError, type ErrorTable } from '@rpc/loop';

/**
 * The codes of `rpc`'s own errors, all about the command line (the rest come from the libraries: `RPC_*`, `LOOP_*`,
 * `AUTH_*`, `MPRPC_*`, `MSG_*`).
 */
export const CLI_ERRORS = {
  /** An unknown command or option, a missing or extra argument, an option's value out of range. */
  CLI_USAGE: UsageError,
  /** An argument of a call (on the command line, in `--call` or on a line of stdin) that is not JSON. */
  CLI_BAD_JSON: UsageError,
  /** An address that names no TCP port or Unix socket, or a Unix socket where only TCP can be used. */
  CLI_BAD_ADDRESS: UsageError,
  /** A password was needed, and stdin ended before giving one. */
  CLI_NO_PASSWORD: UsageError,
} as const satisfies ErrorTable;

/** The `code` of an error of {@link CLI_ERRORS}. */
export type CliErrorCode = keyof typeof CLI_ERRORS;

/** Makes the errors of {@link CLI_ERRORS}. */
export const cliError = errorFactory(CLI_ERRORS);

/**
 * The exit statuses of `rpc`: what a script can tell apart without reading stderr.
 */
export const EXIT = {
  /** Everything worked. */
  OK: 0,
  /** The call failed: the server answered with an error (`RPC_REMOTE`), or the call passed `--timeout`. */
  CALL_FAILED: 1,
  /** The command line is wrong: an option, an argument that is not JSON, an unknown class or method. */
  USAGE: 2,
  /** No connection, or it broke: refused, unreachable, TLS, a protocol error, connecting past `--timeout`. */
  CONNECTION: 3,
  /** The server refused the login (`AUTH_FAILED`). */
  AUTH: 4,
  /** Interrupted (SIGINT, Ctrl-C): the way `rpc log` usually ends. */
  INTERRUPTED: 130,
} as const;

/** Thrown when the user interrupts (Ctrl-C at the password prompt, or the run's signal): exit 130, no message. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

/** The exit status for `error`, by its kind (see {@link EXIT}). */
export function exitCodeOf(error: unknown): number {
  if (error instanceof Interrupted) return EXIT.INTERRUPTED;
  // By its fields rather than instanceof: a library loaded twice (ES module and CommonJS) has two RpcError classes.
  const { code, kind } = (error ?? {}) as Partial<Pick<RpcError, 'code' | 'kind'>>;
  if (code === 'AUTH_FAILED') return EXIT.AUTH;
  switch (kind) {
    case 'usage':
      return EXIT.USAGE;
    case 'transport':
    case 'protocol':
      return EXIT.CONNECTION;
    default:
      return EXIT.CALL_FAILED; // remote, cancel, and what is no @rpc error
  }
}

/** The message of what was thrown (also of errors from another realm, which are no `instanceof Error` here). */
export function messageOf(thrown: unknown): string {
  const message = thrown !== null && typeof thrown === 'object' ? (thrown as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : String(thrown);
}

/** `error CODE: message`, as printed on stderr: the code of an @rpc error, a Node error's own code, else ERROR. */
export function describeError(error: unknown): string {
  const code =
    error !== null && typeof error === 'object' && typeof (error as { code?: unknown }).code === 'string'
      ? (error as { code: string }).code
      : 'ERROR';
  return `error ${code}: ${messageOf(error)}`;
}
