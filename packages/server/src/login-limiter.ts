import { ExpiringTable, type Expiring } from './expiring-table.js';

export interface LoginLimits {
  readonly authFailuresPerAddress: number;
  readonly authFailuresPerUser: number;
  readonly authFailureWindowMs: number;
}

/** Addresses, users, and user-address pairs each table remembers at most (about 100 bytes each). */
export const MAX_TRACKED = 10_000;
/** How long an address a user logged in from stays exempt from that user's lockout. */
export const KNOWN_ADDRESS_MS = 30 * 24 * 3600_000;
/** User names are counted by their first characters: a peer's name of a megabyte must not be kept. */
const MAX_NAME_KEY = 256;

/** Failed logins under one key (an address or a user name) within the current window. */
interface Failures extends Expiring {
  failures: number;
  /** Reached the limit: refused until `until`. */
  blocked: boolean;
  /** Logins refused unchecked since then, told in one line when the block is forgotten. */
  refused: number;
}

/**
 * Failed logins over every connection of a server, per client address and
 * per user name, over a window. Past the address limit, every login from that
 * address is refused without a check until a window has passed. Past the user
 * limit, logins as that user are refused the same way, except from addresses
 * it logged in from before (OWASP's "known device"): an attacker can keep a
 * user from logging in from new places, never from where it logged in before.
 * The tables forget expired entries and stay within `maxTracked` entries each.
 */
export class LoginLimiter {
  readonly #limits: LoginLimits;
  readonly #now: () => number;
  readonly #log: (message: string) => void;
  readonly #addresses: ExpiringTable<Failures>;
  readonly #users: ExpiringTable<Failures>;
  /** `address \n user` of every login that succeeded. */
  readonly #known: ExpiringTable<Expiring>;

  constructor(limits: LoginLimits, now: () => number, log: (message: string) => void, maxTracked = MAX_TRACKED) {
    this.#limits = limits;
    this.#now = now;
    this.#log = log;
    this.#addresses = new ExpiringTable(maxTracked, (address, entry) => this.#over(`from ${address}`, entry));
    this.#users = new ExpiringTable(maxTracked, (user, entry) => this.#over(`as '${user}'`, entry));
    this.#known = new ExpiringTable(maxTracked);
  }

  /** Whether a login from `address` (as `user`, once known) is to be refused without checking it. */
  refuses(address: string | undefined, user?: string): boolean {
    const now = this.#now();
    const byAddress = address === undefined ? undefined : this.#addresses.get(address, now);
    if (byAddress?.blocked) return this.#refuse(this.#addresses, address as string, byAddress, now);
    if (user === undefined) return false;
    const name = nameKey(user);
    const byUser = this.#users.get(name, now);
    if (!byUser?.blocked) return false;
    if (address !== undefined && this.#known.get(pairKey(address, name), now) !== undefined) return false;
    return this.#refuse(this.#users, name, byUser, now);
  }

  /** A check failed: counts it against the address and the user (when the login got as far as naming one). */
  failed(address: string | undefined, user: string | undefined): void {
    const now = this.#now();
    if (address !== undefined)
      this.#count(this.#addresses, address, this.#limits.authFailuresPerAddress, now, `Logins from ${address}`);
    if (user !== undefined) {
      const name = nameKey(user);
      this.#count(this.#users, name, this.#limits.authFailuresPerUser, now, `Logins as '${name}' from new addresses`);
    }
  }

  /**
   * A login succeeded: its address becomes known for the user. Failures are not forgiven, or an attacker with an
   * account of their own could wipe their count between guesses.
   */
  succeeded(address: string | undefined, user: string): void {
    if (address === undefined) return;
    const now = this.#now();
    this.#known.set(pairKey(address, nameKey(user)), { until: now + KNOWN_ADDRESS_MS }, now);
  }

  /** Failed logins in the current window, by client address. */
  failedLogins(): ReadonlyMap<string, number> {
    return new Map([...this.#addresses.live(this.#now())].map(([address, entry]) => [address, entry.failures]));
  }

  /** Entries in the tables of addresses, users and known user-address pairs. */
  get tracked(): { addresses: number; users: number; known: number } {
    return { addresses: this.#addresses.size, users: this.#users.size, known: this.#known.size };
  }

  #count(table: ExpiringTable<Failures>, key: string, limit: number, now: number, who: string): void {
    const window = this.#limits.authFailureWindowMs;
    const entry = table.get(key, now) ?? { failures: 0, blocked: false, refused: 0, until: now + window };
    entry.failures++;
    if (!entry.blocked && entry.failures >= limit) {
      // A whole window from now, so that no more than `limit` checks fit in any window.
      entry.blocked = true;
      entry.until = now + window;
      this.#log(`${who} refused for ${window / 1000} s: ${entry.failures} failed logins`);
    }
    table.set(key, entry, now);
  }

  #refuse(table: ExpiringTable<Failures>, key: string, entry: Failures, now: number): true {
    entry.refused++;
    table.set(key, entry, now); // touched: pushed out last
    return true;
  }

  /** One line for a whole burst of refusals, once its block is over. */
  #over(who: string, entry: Failures): void {
    if (entry.refused > 0) this.#log(`${entry.refused} login(s) ${who} were refused unchecked while blocked`);
  }
}

function nameKey(user: string): string {
  return user.length > MAX_NAME_KEY ? user.slice(0, MAX_NAME_KEY) : user;
}

function pairKey(address: string, name: string): string {
  return `${address}\n${name}`;
}
