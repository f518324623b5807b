import { constantTimeEqual, fromBase64, toBase64 } from './bytes.js';
import { authError } from './errors.js';
import { escapeName, hmac, keysOf, MAX_ITERATIONS, newNonce, parseAttributes, saltedPassword, xor } from './scram.js';

/**
 * The client side of one SCRAM-SHA-256 exchange (RFC 5802, without channel
 * binding): first() → the server's challenge → final() → the server's
 * signature → verify(). The password never travels; each exchange is bound
 * to nonces of both sides, so a recorded exchange cannot be replayed.
 */
export class ScramClient {
  readonly #user: string;
  readonly #password: string;
  readonly #nonce: string;
  #firstBare = '';
  #serverSignature: Uint8Array | undefined;

  /** `nonce` is for reproducing published test vectors; leave it out to get a fresh random one. */
  constructor(user: string, password: string, nonce: string = newNonce()) {
    this.#user = user;
    this.#password = password;
    this.#nonce = nonce;
  }

  /** client-first-message. */
  first(): string {
    this.#firstBare = `n=${escapeName(this.#user)},r=${this.#nonce}`;
    return `n,,${this.#firstBare}`;
  }

  /** client-final-message, in answer to the server-first-message. */
  async final(serverFirst: string): Promise<string> {
    const attributes = parseAttributes(serverFirst);
    const nonce = attributes?.get('r');
    const salt = fromBase64(attributes?.get('s') ?? '');
    const iterations = Number(attributes?.get('i'));
    if (nonce === undefined || !nonce.startsWith(this.#nonce) || nonce === this.#nonce || salt === undefined) {
      throw authError('AUTH_PROTOCOL', 'malformed SCRAM challenge from the server');
    }
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
      throw authError(
        'AUTH_PROTOCOL',
        `the server asks for ${attributes?.get('i')} SCRAM iterations; at most ${MAX_ITERATIONS} are accepted`,
      );
    }
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.#firstBare},${serverFirst},${withoutProof}`;
    const salted = await saltedPassword(this.#password, salt, iterations);
    const { clientKey, storedKey, serverKey } = await keysOf(salted);
    const proof = xor(clientKey, await hmac(storedKey, authMessage));
    this.#serverSignature = await hmac(serverKey, authMessage);
    return `${withoutProof},p=${toBase64(proof)}`;
  }

  /** Checks the server-final-message: a server that does not know our credentials cannot produce it. */
  verify(serverFinal: string): void {
    const signature = fromBase64(parseAttributes(serverFinal)?.get('v') ?? '');
    if (
      this.#serverSignature === undefined ||
      signature === undefined ||
      !constantTimeEqual(signature, this.#serverSignature)
    ) {
      throw authError(
        'AUTH_SERVER_UNVERIFIED',
        'the server could not prove that it knows the credentials (SCRAM server signature)',
      );
    }
  }
}
