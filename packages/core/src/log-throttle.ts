/** How long repeats of one kind of line are held back and counted. */
const WINDOW_MS = 10_000;

interface Held {
  readonly since: number;
  repeats: number;
}

/**
 * Logs the first line of a kind, then only counts its repeats for ten
 * seconds and says how many there were with the next one, so that a
 * connection sending garbage in a loop cannot flood the log. Kinds are few
 * (error codes), so the table stays small.
 */
export class LogThrottle {
  readonly #now: () => number;
  readonly #held = new Map<string, Held>();

  constructor(now: () => number) {
    this.#now = now;
  }

  /** The line to log for this occurrence of `kind`, or undefined to stay quiet. */
  line(kind: string, text: string): string | undefined {
    const now = this.#now();
    const held = this.#held.get(kind);
    if (held !== undefined && now - held.since < WINDOW_MS) {
      held.repeats++;
      return undefined;
    }
    this.#held.set(kind, { since: now, repeats: 0 });
    const repeats = held?.repeats ?? 0;
    return repeats > 0 ? `${text} (and ${repeats} more like it in the ${WINDOW_MS / 1000} s before)` : text;
  }
}
