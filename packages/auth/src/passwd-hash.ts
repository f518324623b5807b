import type { AuthModule } from './auth-module.js';
import { constantTimeEqual } from './bytes.js';
import { authError } from './errors.js';
import {
  DEFAULT_ITERATIONS,
  deriveScramCredentials,
  keysOf,
  parseScramVerifier,
  saltedPassword,
  type ScramCredentials,
} from './scram.js';

/** A crypt(3) DES hash: 13 characters of the crypt alphabet. */
const CRYPT_TOKEN = /^[./0-9A-Za-z]{13}$/;
/** Checked against when the user is unknown, so that unknown names take as long as wrong passwords. */
let decoy: Promise<ScramCredentials> | undefined;

/**
 * Event::RPC::AuthPasswdHash: users and their passwords, as Event::RPC
 * stores them (`{ fred: crypt('fred', password) }`) or as SCRAM verifiers
 * (`formatScramVerifier`). Crypt tokens are turned into salted SCRAM keys
 * when the module is made and are not kept: the module can check the tokens
 * Perl clients send and serve SCRAM to `@rpc` clients, and nothing it holds
 * lets anyone log in.
 */
export class PasswdHash implements AuthModule {
  readonly #users: ReadonlyMap<string, ScramCredentials>;

  private constructor(users: ReadonlyMap<string, ScramCredentials>) {
    this.#users = users;
  }

  /** Builds the module; the key derivation runs off the main thread, one user at a time. */
  static async from(passwords: Readonly<Record<string, string>>, iterations = DEFAULT_ITERATIONS): Promise<PasswdHash> {
    const users = new Map<string, ScramCredentials>();
    for (const [user, stored] of Object.entries(passwords)) {
      const verifier = parseScramVerifier(stored);
      if (verifier !== undefined) users.set(user, verifier);
      else if (CRYPT_TOKEN.test(stored)) users.set(user, await deriveScramCredentials(stored, iterations));
      else
        throw authError(
          'AUTH_INVALID_OPTION',
          `the password of '${user}' is neither a crypt token (Event::RPC->crypt) nor a SCRAM-SHA-256 verifier`,
        );
    }
    return new PasswdHash(users);
  }

  /**
   * Checks a crypt token by deriving its keys with the user's stored salt, compared in constant time; an unknown user
   * costs the same work as a wrong token.
   */
  async checkCredentials(user: string, pass: string): Promise<boolean> {
    const known = this.#users.get(user);
    const credentials = known ?? (await (decoy ??= deriveScramCredentials('decoy')));
    const { storedKey } = await keysOf(await saltedPassword(String(pass), credentials.salt, credentials.iterations));
    return constantTimeEqual(storedKey, credentials.storedKey) && known !== undefined;
  }

  /** The user's SCRAM credentials, or undefined for an unknown user. */
  scramCredentials(user: string): ScramCredentials | undefined {
    return this.#users.get(user);
  }

  /** The names of the users the module knows. */
  get users(): string[] {
    return [...this.#users.keys()];
  }
}
