import { bytes, fromBase64, randomBytes, toBase64 } from './bytes.js';

/**
 * What a server keeps for one user under SCRAM-SHA-256 (RFC 5802, RFC 7677):
 * the salt, the iteration count and two keys derived from the password.
 * Neither key lets anyone log in, and the password cannot be read back.
 */
export interface ScramCredentials {
  /** The user's salt (16 random bytes when made by {@link deriveScramCredentials}). */
  readonly salt: Uint8Array;
  /** PBKDF2 rounds of the salted password. */
  readonly iterations: number;
  /** SHA-256 of the ClientKey (32 bytes): checks a client's proof, but cannot make one. */
  readonly storedKey: Uint8Array;
  /** The ServerKey (32 bytes): signs the server's final message, proving it knows the credentials. */
  readonly serverKey: Uint8Array;
}

/** RFC 7677's minimum, also PostgreSQL's default. */
export const DEFAULT_ITERATIONS = 4096;
/** Iteration counts a client accepts from a server: a hostile server must not make it spin for minutes. */
export const MAX_ITERATIONS = 1_000_000;

const subtle = () => globalThis.crypto.subtle;
/** WebCrypto's types want a plain ArrayBuffer behind a view; ours never share theirs. */
const source = (data: Uint8Array): Uint8Array<ArrayBuffer> => data as Uint8Array<ArrayBuffer>;

export async function hmac(key: Uint8Array, data: Uint8Array | string): Promise<Uint8Array> {
  const imported = await subtle().importKey('raw', source(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle().sign('HMAC', imported, source(typeof data === 'string' ? bytes(data) : data)));
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', source(data)));
}

/** Hi() of RFC 5802: PBKDF2 with HMAC-SHA-256, one 32-byte block. Runs off the main thread in Node. */
export async function saltedPassword(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await subtle().importKey('raw', source(bytes(password)), 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(
    await subtle().deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: source(salt), iterations }, key, 256),
  );
}

export function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number);
  return out;
}

/** The keys RFC 5802 derives from a salted password: ClientKey (kept by the client only), StoredKey and ServerKey. */
export async function keysOf(
  salted: Uint8Array,
): Promise<{ clientKey: Uint8Array; storedKey: Uint8Array; serverKey: Uint8Array }> {
  const clientKey = await hmac(salted, 'Client Key');
  return { clientKey, storedKey: await sha256(clientKey), serverKey: await hmac(salted, 'Server Key') };
}

/**
 * The credentials a server stores for `password` (for `@rpc` peers: the Event::RPC crypt token), with a fresh salt.
 */
export async function deriveScramCredentials(
  password: string,
  iterations = DEFAULT_ITERATIONS,
  salt: Uint8Array = randomBytes(16),
): Promise<ScramCredentials> {
  const { storedKey, serverKey } = await keysOf(await saltedPassword(password, salt, iterations));
  return { salt, iterations, storedKey, serverKey };
}

const VERIFIER = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;

/**
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, the form PostgreSQL stores, to keep in a password file.
 */
export function formatScramVerifier(credentials: ScramCredentials): string {
  const { iterations, salt, storedKey, serverKey } = credentials;
  return `SCRAM-SHA-256$${iterations}:${toBase64(salt)}$${toBase64(storedKey)}:${toBase64(serverKey)}`;
}

/** The credentials in a verifier string, or undefined when it is not one. */
export function parseScramVerifier(verifier: string): ScramCredentials | undefined {
  const match = VERIFIER.exec(verifier);
  if (match === null) return undefined;
  const [salt, storedKey, serverKey] = [match[2], match[3], match[4]].map((part) => fromBase64(part as string));
  const iterations = Number(match[1]);
  if (salt === undefined || storedKey?.length !== 32 || serverKey?.length !== 32 || !(iterations > 0)) return undefined;
  return { salt, iterations, storedKey, serverKey };
}

/** A SCRAM user name: "=" and "," escaped as RFC 5802 asks. */
export function escapeName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

export function unescapeName(name: string): string | undefined {
  if (/=(?!2C|3D)/.test(name)) return undefined;
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** `a=1,b=2` into its attributes; undefined when malformed. */
export function parseAttributes(message: string): Map<string, string> | undefined {
  const attributes = new Map<string, string>();
  for (const part of message.split(',')) {
    const match = /^([a-zA-Z])=(.*)$/s.exec(part);
    if (match === null || attributes.has(match[1] as string)) return undefined;
    attributes.set(match[1] as string, match[2] as string);
  }
  return attributes;
}

/** A nonce: printable ASCII without ",", as RFC 5802 requires; 18 random bytes in base64. */
export function newNonce(): string {
  return toBase64(randomBytes(18));
}
