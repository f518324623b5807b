/** Event::RPC's logger interface: lower levels are more important (1 = errors and notices, 4 = every request). */
export interface Logger {
  log(level: number, message: string): void;
}

/** Writes lines up to `minLevel` (default 2) to the console, as Event::RPC::Logger does to STDERR. */
export class ConsoleLogger implements Logger {
  readonly minLevel: number;

  constructor(minLevel = 2) {
    this.minLevel = minLevel;
  }

  log(level: number, message: string): void {
    if (level <= this.minLevel) console.error(`${new Date().toISOString()} ${message}`);
  }
}
