import { AccessList, crypt, PasswdHash, ScramServer, type AccessRules, type AuthModule } from '@rpc/auth';
import { rpcError, type Answer, type Request } from '@rpc/core';
import type { Loop } from '@rpc/loop';
import { CheckSlots } from './check-slots.js';
import { loginAddressKey } from './login-address.js';
import { LoginLimiter, type LoginLimits } from './login-limiter.js';

/** The requests that log in: Event::RPC's `auth` with its token, or a step of a SCRAM-SHA-256 login (`auth_scram`). */
export type LoginRequest = Extract<
  Request,
  {
    /** The two commands that log in. */
    cmd: 'auth' | 'auth_scram';
  }
>;

export interface AuthSettings extends LoginLimits {
  readonly authRequired: boolean;
  readonly authPasswdHref: Readonly<Record<string, string>> | undefined;
  readonly authModule: AuthModule | undefined;
  readonly authAccess: AccessRules | ((user: string, className: string, method: string) => boolean) | undefined;
  readonly authMaxFailures: number;
  readonly authMaxConcurrentChecks: number;
  readonly authMaxQueuedChecks: number;
}

export interface AuthHost {
  readonly loop: Loop;
  log(level: number, message: string): void;
}

/** What a failed login waits before its answer, per failure so far on the connection. */
const FAILURE_DELAY_MS = 250;
const ILLEGAL = 'Illegal credentials';
/** What a credential check turns into when the server-wide limits refuse to run it. */
const REFUSED: unique symbol = Symbol('refused');
type Refused = typeof REFUSED;
/** What a check decided, for the server-wide counts. */
type LoginOutcome =
  | { readonly ok: true; readonly user: string }
  | { readonly ok: false; readonly user: string | undefined };

/**
 * The server's authentication: Event::RPC's user/password check (the crypt
 * token Perl clients send), SCRAM-SHA-256 for `@rpc` clients when the auth
 * module can hand out SCRAM credentials, and the per-user access list.
 * One per server: its limits on failed logins and on checks running at
 * once hold across all the server's connections.
 */
export class Authenticator {
  readonly module: AuthModule;
  readonly access: AccessList | undefined;
  readonly maxFailures: number;
  readonly limiter: LoginLimiter;
  readonly #slots: CheckSlots;
  readonly #host: AuthHost;

  private constructor(settings: AuthSettings, module: AuthModule, access: AccessList | undefined, host: AuthHost) {
    this.module = module;
    this.access = access;
    this.maxFailures = settings.authMaxFailures;
    this.#host = host;
    const log = (message: string): void => host.log(1, message);
    this.limiter = new LoginLimiter(settings, () => host.loop.now(), log);
    this.#slots = new CheckSlots(settings.authMaxConcurrentChecks, settings.authMaxQueuedChecks, log);
  }

  /** Undefined when no authentication is required. */
  static async create(settings: AuthSettings, host: AuthHost): Promise<Authenticator | undefined> {
    if (!settings.authRequired) {
      if (settings.authAccess !== undefined)
        throw rpcError('RPC_INVALID_OPTION', 'authAccess needs authRequired: access is granted to authenticated users');
      return undefined;
    }
    const module =
      settings.authModule ?? (settings.authPasswdHref ? await PasswdHash.from(settings.authPasswdHref) : undefined);
    if (module === undefined) throw rpcError('RPC_INVALID_OPTION', 'authRequired needs authPasswdHref or authModule');
    checkLimits(settings);
    const access = settings.authAccess === undefined ? undefined : new AccessList(settings.authAccess);
    return new Authenticator(settings, module, access, host);
  }

  /** Whether @rpc clients can log in by challenge-response. */
  get scram(): boolean {
    return typeof this.module.scramCredentials === 'function';
  }

  /**
   * Checks a user name and plain password (the log listener's login), as Event::RPC clients are checked, within the
   * same limits.
   */
  async checkPassword(user: string, password: string, address?: string): Promise<boolean> {
    const key = address === undefined ? undefined : loginAddressKey(address);
    const ok = await this.limited(
      key,
      user,
      () => this.module.checkCredentials(user, crypt(user, password)),
      (checked) => ({ ok: checked === true, user }),
    );
    return ok === true;
  }

  /** `address` is the client's host (a port is ignored): failed logins are counted per address across connections. */
  forConnection(cid: number, secure: boolean, cutOff: () => void, address?: string): ConnectionAuth {
    const key = address === undefined ? undefined : loginAddressKey(address);
    return new ConnectionAuth(this, this.#host, cid, secure, cutOff, key);
  }

  /** Failed logins in the current window, by client address (IPv6: by /64 network). */
  failedLogins(): ReadonlyMap<string, number> {
    return this.limiter.failedLogins();
  }

  /**
   * @internal Runs a credential check in one of the server's check slots, unless the limits refuse it: before it
   * waits for a slot, and again once it has one (the address may have reached its limit meanwhile). `judge` says
   * what the check decided, counted before the slot is given back so that the next in line sees it.
   */
  async limited<T>(
    address: string | undefined,
    user: string | undefined,
    check: () => T | Refused | Promise<T | Refused>,
    judge: (result: T) => LoginOutcome | undefined,
    gone: () => boolean = () => false,
  ): Promise<T | Refused> {
    if (this.limiter.refuses(address, user)) return REFUSED;
    const slot = this.#slots.acquire();
    if (slot === undefined) return REFUSED;
    const release = await slot;
    try {
      // A client that left while waiting costs no check.
      if (gone() || this.limiter.refuses(address, user)) return REFUSED;
      const result = await check();
      const outcome = result === REFUSED ? undefined : judge(result);
      if (outcome?.ok === true) this.limiter.succeeded(address, outcome.user);
      else if (outcome !== undefined) this.limiter.failed(address, outcome.user);
      return result;
    } finally {
      release();
    }
  }
}

/** Limits that would silently turn the protection off, or refuse every login: counts are from 1 up (or Infinity). */
function checkLimits(settings: AuthSettings): void {
  const counts = {
    authFailuresPerAddress: settings.authFailuresPerAddress,
    authFailuresPerUser: settings.authFailuresPerUser,
    authMaxConcurrentChecks: settings.authMaxConcurrentChecks,
  };
  for (const [name, value] of Object.entries(counts)) {
    if (!(value === Infinity || (Number.isInteger(value) && value >= 1)))
      throw rpcError('RPC_INVALID_OPTION', `${name} must be a whole number of at least 1, or Infinity`);
  }
  if (!(Number.isInteger(settings.authMaxQueuedChecks) && settings.authMaxQueuedChecks >= 0))
    throw rpcError('RPC_INVALID_OPTION', 'authMaxQueuedChecks must be a whole number of at least 0');
  if (!(Number.isFinite(settings.authFailureWindowMs) && settings.authFailureWindowMs > 0))
    throw rpcError('RPC_INVALID_OPTION', 'authFailureWindowMs must be a finite number of milliseconds above 0');
}

/**
 * One connection's login: who it is once authenticated, and how many times
 * it failed. Every failure makes the next answer slower; past the limit the
 * connection is closed. Other connections never wait for it. Checks go
 * through the server's limits: a refused login gets the answer a wrong
 * password gets, and counts on the connection as a failure.
 */
export class ConnectionAuth {
  user: string | undefined;
  readonly #auth: Authenticator;
  readonly #host: AuthHost;
  readonly #cid: number;
  readonly #secure: boolean;
  readonly #cutOff: () => void;
  /** Where failed logins are counted for the server (see loginAddressKey); undefined when unknown. */
  readonly #address: string | undefined;
  #attempts = 0;
  #closed = false;
  /** A SCRAM exchange between its two steps, and the user it names. */
  #scram: { server: ScramServer; user: string | undefined } | undefined;
  /** Failures waiting out their delay: answered at once if the connection closes. */
  readonly #delayed = new Set<() => void>();
  /** Logins on one connection are checked one after the other, so a burst of guesses gets no further than slow ones. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    auth: Authenticator,
    host: AuthHost,
    cid: number,
    secure: boolean,
    cutOff: () => void,
    address: string | undefined,
  ) {
    this.#auth = auth;
    this.#host = host;
    this.#cid = cid;
    this.#secure = secure;
    this.#cutOff = cutOff;
    this.#address = address;
  }

  allows(className: string, method: string): boolean {
    return this.#auth.access === undefined || this.#auth.access.allows(this.user, className, method);
  }

  /** Answers `auth` (Event::RPC's token) and the two `auth_scram` steps. */
  answer(request: LoginRequest): Promise<Answer> {
    const turn = this.#queue.then(() => this.#answer(request));
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  async #answer(request: LoginRequest): Promise<Answer> {
    if (this.user !== undefined) return { ok: 1, msg: 'Credentials Ok' };
    if (this.#attempts >= this.#auth.maxFailures) return { ok: 0, msg: ILLEGAL };
    if (request.cmd === 'auth') return this.#legacy(request.user, request.pass);
    if (!this.#auth.scram) return { ok: 0, msg: 'SCRAM authentication is not offered by this server' };
    return this.#scram === undefined ? this.#scramFirst(request.msg) : this.#scramFinal(request.msg);
  }

  async #legacy(user: string, pass: string): Promise<Answer> {
    const ok = await this.#limited(
      user,
      () => this.#auth.module.checkCredentials(user, pass),
      (checked) => ({ ok: checked === true, user }),
    );
    if (ok === REFUSED) return this.#illegal();
    if (!ok) return this.#failed(user, 'wrong password token');
    this.#succeeded(user, 'the Event::RPC password token');
    if (!this.#secure) {
      this.#host.log(
        1,
        `cid=${this.#cid}: WARNING: user '${user}' logged in with Event::RPC's password token without TLS: ` +
          `anyone who captured it can log in as '${user}' (use ssl, or an @rpc client, which logs in by SCRAM)`,
      );
    }
    return { ok: 1, msg: 'Credentials Ok' };
  }

  async #scramFirst(msg: string): Promise<Answer> {
    const named: { user: string | undefined; refused: boolean } = { user: undefined, refused: false };
    // The name is known only once the message is parsed: the user's limit is asked about then.
    const server = new ScramServer((user) => {
      named.user = user;
      named.refused = this.#auth.limiter.refuses(this.#address, user);
      return named.refused ? undefined : this.#auth.module.scramCredentials?.(user);
    });
    const challenge = await this.#limited(
      undefined,
      async () => {
        const first = await server.first(msg);
        return named.refused ? REFUSED : first;
      },
      (first) => (first === undefined ? { ok: false, user: undefined } : undefined), // a challenge decides nothing yet
    );
    if (challenge === REFUSED) return this.#illegal();
    if (challenge === undefined) return this.#failed(undefined, 'malformed SCRAM message');
    this.#scram = { server, user: named.user };
    return { ok: 1, msg: challenge };
  }

  async #scramFinal(msg: string): Promise<Answer> {
    const { server, user } = this.#scram as { server: ScramServer; user: string | undefined };
    this.#scram = undefined;
    const result = await this.#limited(
      user,
      () => server.final(msg),
      (outcome) => outcome,
    );
    if (result === REFUSED) return this.#illegal();
    if (!result.ok) return this.#failed(result.user, 'wrong SCRAM proof');
    this.#succeeded(result.user, 'SCRAM-SHA-256');
    return { ok: 1, msg: result.serverFinal };
  }

  #limited<T>(
    user: string | undefined,
    check: () => T | Refused | Promise<T | Refused>,
    judge: (result: T) => LoginOutcome | undefined,
  ): Promise<T | Refused> {
    return this.#auth.limited(this.#address, user, check, judge, () => this.#closed);
  }

  #succeeded(user: string, how: string): void {
    this.user = user;
    this.#host.log(1, `cid=${this.#cid}: User '${user}' successfully authorized (${how})`);
  }

  /** A check that failed (counted server-wide by Authenticator.limited): logged, and answered after the delay. */
  #failed(user: string | undefined, why: string): Promise<Answer> {
    const answer = this.#illegal();
    this.#host.log(
      1,
      `cid=${this.#cid}: Illegal credentials for user '${user ?? '?'}' ` +
        `(${why}; failure ${this.#attempts} of ${this.#auth.maxFailures})`,
    );
    return answer;
  }

  /** The one answer every failure gets, whatever failed, after a delay that grows with each failure. */
  #illegal(): Promise<Answer> {
    const failures = ++this.#attempts;
    return new Promise((resolve) => {
      const answer = (): void => {
        this.#delayed.delete(answer);
        timer.cancel();
        resolve({ ok: 0, msg: ILLEGAL });
      };
      const timer = this.#host.loop.timer(FAILURE_DELAY_MS * failures, () => {
        answer();
        // Closed once the answer has been queued, so the client still reads why.
        if (failures >= this.#auth.maxFailures) this.#host.loop.defer(this.#cutOff);
      });
      this.#delayed.add(answer);
    });
  }

  /** The connection is gone: no failure waits any longer, and no login waiting for a check is checked. */
  close(): void {
    this.#closed = true;
    for (const answer of [...this.#delayed]) answer();
  }
}
