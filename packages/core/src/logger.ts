/**
 * Event::RPC's logger interface: lower levels are more important (1 = errors and notices, 2 = connections, 4 = every
 * request).
 */
export interface Logger {
  /** Logs `message` at `level` (1 most important); a logger may drop levels it does not keep. */
  log(level: number, message: string): void;
  /** Lines above this level are dropped; the log listener streams the same lines the logger keeps. */
  readonly minLevel?: number;
}

/** One log line as the console logger and the log listener write it: `2026-11-22T16:25:00.000Z [2] message`. */
export function formatLogLine(level: number, message: string): string {
  return `${new Date().toISOString()} [${level}] ${message}${message.endsWith('\n') ? '' : '\n'}`;
}

/**
 * Writes lines up to `minLevel` (default 2) with console.error (stderr in Node), as Event::RPC::Logger does to its file
 * handles: pass one as `logger` to see the log.
 */
export class ConsoleLogger implements Logger {
  readonly minLevel: number;

  constructor(minLevel = 2) {
    this.minLevel = minLevel;
  }

  /** Writes the line to stderr, time-stamped, if `level` is at most `minLevel`. */
  log(level: number, message: string): void {
    if (level <= this.minLevel) console.error(formatLogLine(level, message).trimEnd());
  }
}

/**
 * A `util.debuglog` section function of Node (typed without Node's types, so that this package stays platform-free).
 */
export interface DebugSection {
  (format: string, ...args: unknown[]): void;
  /** True when `NODE_DEBUG` names the section; {@link debugLogger} logs nothing otherwise. */
  readonly enabled?: boolean;
}

/**
 * The logger used when none is given: silent, as Event::RPC and Node
 * libraries are, unless the section is enabled (`NODE_DEBUG=rpc`), and then
 * every level goes to stderr as `RPC <pid>: [level] message`.
 */
export function debugLogger(section: DebugSection | undefined): Logger | undefined {
  if (section?.enabled !== true) return undefined;
  return { minLevel: Infinity, log: (level, message) => section('[%d] %s', level, message.trimEnd()) };
}
