import { AccessList, crypt, PasswdHash, ScramServer, type AccessRules, type AuthModule } from '@rpc/auth';
import { rpcError, type Answer, type Request } from '@rpc/core';

/** The requests that log in. */
export type LoginRequest = Extract<Request, { cmd: 'auth' | 'auth_scram' }>;
import type { Loop } from '@rpc/loop';

export interface AuthSettings {
  readonly authRequired: boolean;
  readonly authPasswdHref: Readonly<Record<string, string>> | undefined;
  readonly authModule: AuthModule | undefined;
  readonly authAccess: AccessRules | ((user: string, className: string, method: string) => boolean) | undefined;
  readonly authMaxFailures: number;
}

export interface AuthHost {
  readonly loop: Loop;
  log(level: number, message: string): void;
}

/** What a failed login waits before its answer, per failure so far on the connection. */
const FAILURE_DELAY_MS = 250;
const ILLEGAL = 'Illegal credentials';

/**
 * The server's authentication: Event::RPC's user/password check (the crypt
 * token Perl clients send), SCRAM-SHA-256 for @rpc clients when the auth
 * module can hand out SCRAM credentials, and the per-user access list.
 */
export class Authenticator {
  readonly module: AuthModule;
  readonly access: AccessList | undefined;
  readonly maxFailures: number;
  readonly #host: AuthHost;

  private constructor(module: AuthModule, access: AccessList | undefined, maxFailures: number, host: AuthHost) {
    this.module = module;
    this.access = access;
    this.maxFailures = maxFailures;
    this.#host = host;
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
    const access = settings.authAccess === undefined ? undefined : new AccessList(settings.authAccess);
    return new Authenticator(module, access, settings.authMaxFailures, host);
  }

  /** Whether @rpc clients can log in by challenge-response. */
  get scram(): boolean {
    return typeof this.module.scramCredentials === 'function';
  }

  /** Checks a user name and plain password (the log listener's login), as Event::RPC clients are checked. */
  async checkPassword(user: string, password: string): Promise<boolean> {
    return (await this.module.checkCredentials(user, crypt(user, password))) === true;
  }

  forConnection(cid: number, secure: boolean, cutOff: () => void): ConnectionAuth {
    return new ConnectionAuth(this, this.#host, cid, secure, cutOff);
  }
}

/**
 * One connection's login: who it is once authenticated, and how many times
 * it failed. Every failure makes the next answer slower; past the limit the
 * connection is closed. Other connections never wait for it.
 */
export class ConnectionAuth {
  user: string | undefined;
  readonly #auth: Authenticator;
  readonly #host: AuthHost;
  readonly #cid: number;
  readonly #secure: boolean;
  readonly #cutOff: () => void;
  #attempts = 0;
  #scram: ScramServer | undefined;
  /** Failures waiting out their delay: answered at once if the connection closes. */
  readonly #delayed = new Set<() => void>();
  /** Logins on one connection are checked one after the other, so a burst of guesses gets no further than slow ones. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(auth: Authenticator, host: AuthHost, cid: number, secure: boolean, cutOff: () => void) {
    this.#auth = auth;
    this.#host = host;
    this.#cid = cid;
    this.#secure = secure;
    this.#cutOff = cutOff;
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
    const msg = request.msg;
    if (this.#scram === undefined) {
      const scram = new ScramServer((user) => this.#auth.module.scramCredentials?.(user));
      const challenge = await scram.first(msg);
      if (challenge === undefined) return this.#failed(undefined, 'malformed SCRAM message');
      this.#scram = scram;
      return { ok: 1, msg: challenge };
    }
    const scram = this.#scram;
    this.#scram = undefined;
    const result = await scram.final(msg);
    if (!result.ok) return this.#failed(result.user, 'wrong SCRAM proof');
    this.#succeeded(result.user, 'SCRAM-SHA-256');
    return { ok: 1, msg: result.serverFinal };
  }

  async #legacy(user: string, pass: string): Promise<Answer> {
    if (!(await this.#auth.module.checkCredentials(user, pass))) return this.#failed(user, 'wrong password token');
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

  #succeeded(user: string, how: string): void {
    this.user = user;
    this.#host.log(1, `cid=${this.#cid}: User '${user}' successfully authorized (${how})`);
  }

  /** The one answer every failure gets, whatever failed, after a delay that grows with each failure. */
  #failed(user: string | undefined, why: string): Promise<Answer> {
    const failures = ++this.#attempts;
    this.#host.log(
      1,
      `cid=${this.#cid}: Illegal credentials for user '${user ?? '?'}' ` +
        `(${why}; failure ${failures} of ${this.#auth.maxFailures})`,
    );
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

  /** The connection is gone: no failure waits any longer. */
  close(): void {
    for (const answer of [...this.#delayed]) answer();
  }
}
