/** An entry that is forgotten once the clock reaches `until`. */
export interface Expiring {
  until: number;
}

/**
 * A table that forgets: entries whose time has passed, and, to stay within
 * `max` entries, the ones touched least recently. Peers choose its keys, so
 * its size must not be theirs to choose.
 *
 * Entries live in two generations of at most max / 2 each (as hashlru):
 * storing puts an entry in the current one; once that is full, the previous
 * generation is forgotten whole and the current one, less what has expired,
 * takes its place. Each step costs the same however full the table is
 * (dropping the oldest entries of one Map one by one would not: V8 keeps the
 * holes and walks them again on the next look at the oldest).
 */
export class ExpiringTable<V extends Expiring> {
  readonly max: number;
  readonly #forgotten: (key: string, entry: V) => void;
  #current = new Map<string, V>();
  #previous = new Map<string, V>();

  /** `forgotten` hears of every entry the table drops, expired or pushed out. */
  constructor(max: number, forgotten: (key: string, entry: V) => void = () => undefined) {
    this.max = max;
    this.#forgotten = forgotten;
  }

  get size(): number {
    return this.#current.size + this.#previous.size;
  }

  /** The entry under `key`, unless its time has passed. */
  get(key: string, now: number): V | undefined {
    const entry = this.#current.get(key) ?? this.#previous.get(key);
    if (entry === undefined || entry.until > now) return entry;
    this.#current.delete(key);
    this.#previous.delete(key);
    this.#forgotten(key, entry);
    return undefined;
  }

  /** Stores `entry` as touched now: it outlives every entry not touched since. */
  set(key: string, entry: V, now: number): void {
    this.#previous.delete(key);
    this.#current.set(key, entry);
    if (this.#current.size < Math.max(1, this.max / 2)) return;
    for (const [old, value] of this.#previous) this.#forgotten(old, value);
    this.#previous = this.#current;
    this.#current = new Map();
    for (const [kept, value] of this.#previous) {
      if (value.until > now) continue;
      this.#previous.delete(kept);
      this.#forgotten(kept, value);
    }
  }

  /** The entries whose time has not passed. */
  *live(now: number): IterableIterator<[string, V]> {
    for (const generation of [this.#previous, this.#current])
      for (const [key, entry] of generation) if (entry.until > now) yield [key, entry];
  }
}
