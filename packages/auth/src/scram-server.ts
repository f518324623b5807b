import { constantTimeEqual, fromBase64, randomBytes, toBase64 } from './bytes.js';
import {
  DEFAULT_ITERATIONS,
  hmac,
  newNonce,
  parseAttributes,
  sha256,
  unescapeName,
  xor,
  type ScramCredentials,
} from './scram.js';

/** Where a ScramServer finds a user's stored credentials. */
export type ScramLookup = (user: string) => ScramCredentials | undefined | Promise<ScramCredentials | undefined>;

/** The outcome of a SCRAM exchange on the server. */
export type ScramResult =
  | {
      /** The client proved it knows the user's password. */
      readonly ok: true;
      /** The user now logged in. */
      readonly user: string;
      /** The server-final-message to send back, with which the client checks the server. */
      readonly serverFinal: string;
    }
  | {
      /** The login failed: a wrong proof, an unknown user, or a final message that does not fit the exchange. */
      readonly ok: false;
      /** The name the client tried, when it got that far; for logs and failed-login counts. */
      readonly user: string | undefined;
    };

/** One server secret per process, for the stand-in salts of unknown users. */
const secret = randomBytes(32);

/**
 * The server side of one SCRAM-SHA-256 exchange. An unknown user gets a
 * challenge like any other (its salt derived from the name, so it is the
 * same every time) and fails only at the proof, with the same answer as a
 * wrong password: the exchange does not tell which names exist.
 */
export class ScramServer {
  readonly #lookup: ScramLookup;
  #state:
    | { user: string; firstBare: string; serverFirst: string; credentials: ScramCredentials | undefined }
    | undefined;

  readonly #nonce: () => string;

  /** `nonce` is for reproducing published test vectors; leave it out to get fresh random ones. */
  constructor(lookup: ScramLookup, nonce: () => string = newNonce) {
    this.#lookup = lookup;
    this.#nonce = nonce;
  }

  /**
   * The server-first-message for a client-first-message, or undefined if it is malformed (or channel binding is asked
   * for).
   */
  async first(clientFirst: string): Promise<string | undefined> {
    if (!clientFirst.startsWith('n,,')) return undefined;
    const firstBare = clientFirst.slice(3);
    const attributes = parseAttributes(firstBare);
    const name = attributes?.get('n');
    const clientNonce = attributes?.get('r');
    const user = name === undefined ? undefined : unescapeName(name);
    if (user === undefined || clientNonce === undefined || clientNonce.length === 0 || clientNonce.includes(','))
      return undefined;
    const credentials = await this.#lookup(user);
    const salt = credentials?.salt ?? (await hmac(secret, `salt:${user}`)).subarray(0, 16);
    const iterations = credentials?.iterations ?? DEFAULT_ITERATIONS;
    const serverFirst = `r=${clientNonce}${this.#nonce()},s=${toBase64(salt)},i=${iterations}`;
    this.#state = { user, firstBare, serverFirst, credentials };
    return serverFirst;
  }

  /** Checks the client's proof: the exchange succeeds once, for this connection's challenge only. */
  async final(clientFinal: string): Promise<ScramResult> {
    const state = this.#state;
    this.#state = undefined;
    if (state === undefined) return { ok: false, user: undefined };
    const attributes = parseAttributes(clientFinal);
    const proof = fromBase64(attributes?.get('p') ?? '');
    const at = clientFinal.lastIndexOf(',p=');
    const serverNonce = parseAttributes(state.serverFirst)?.get('r');
    if (proof === undefined || at < 0 || attributes?.get('r') !== serverNonce || attributes?.get('c') !== 'biws')
      return { ok: false, user: state.user };
    const authMessage = `${state.firstBare},${state.serverFirst},${clientFinal.slice(0, at)}`;
    const credentials = state.credentials;
    // An unknown user costs the same work as a known one.
    const storedKey = credentials?.storedKey ?? (await sha256(secret));
    const clientKey = xor(proof, await hmac(storedKey, authMessage));
    const matches = constantTimeEqual(await sha256(clientKey), storedKey);
    if (!matches || credentials === undefined) return { ok: false, user: state.user };
    return { ok: true, user: state.user, serverFinal: `v=${toBase64(await hmac(credentials.serverKey, authMessage))}` };
  }
}
