import {
  formatAddress,
  loopError,
  type Endpoint,
  type LOOP_ERRORS,
  type LoopErrorCode,
  type TransportError,
} from '@rpc/loop';

/** An error as Node's net, tls and fs report it: `code` is the system's or OpenSSL's (ECONNREFUSED, ...). */
export type NodeError = Error & {
  /** The platform's code, kept as the TransportError's `reason`. */
  code?: string;
};

// What the OpenSSL / node:tls verification codes mean, so a failure says which check failed.
const TLS_CHECKS: Readonly<Record<string, string>> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate is not signed by a trusted CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuer of the certificate is not among the trusted CAs',
  UNABLE_TO_GET_ISSUER_CERT: 'the issuer of the certificate could not be found',
  SELF_SIGNED_CERT_IN_CHAIN: 'the certificate chain ends in an untrusted self-signed CA',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed and not trusted',
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not valid yet',
  CERT_SIGNATURE_FAILURE: 'the certificate signature is invalid',
  CERT_REVOKED: 'the certificate was revoked',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate does not name this host',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the peer does not speak TLS',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'the peer does not speak TLS',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the peer does not trust our certificate',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'the peers share no cipher or protocol version',
  ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE: 'the client sent no certificate',
  ECONNRESET: 'the peer closed the connection during the handshake',
};

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

function isTlsCode(code: string | undefined): boolean {
  return (
    code !== undefined &&
    code !== 'ECONNRESET' &&
    (code in TLS_CHECKS || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code.includes('CERT'))
  );
}

/** The codes of transport failures. */
type Failure = {
  [C in LoopErrorCode]: (typeof LOOP_ERRORS)[C] extends typeof TransportError ? C : never;
}[LoopErrorCode];

function make(code: Failure, message: string, cause: NodeError): TransportError {
  return loopError(code, message, { cause, ...(cause.code === undefined ? {} : { reason: cause.code }) });
}

/** A failed connect() as a TransportError that names the endpoint and, for TLS, the failed check. */
export function connectError(err: NodeError, endpoint: Endpoint, handshaking: boolean): TransportError {
  const where = formatAddress(endpoint);
  if (err.code === 'ECONNREFUSED') return make('LOOP_CONNECTION_REFUSED', `connection to ${where} refused`, err);
  if (handshaking || isTlsCode(err.code)) {
    const check = (err.code && TLS_CHECKS[err.code]) ?? err.message;
    return make('LOOP_TLS_FAILED', `TLS handshake with ${where} failed: ${check} (${err.code ?? 'no code'})`, err);
  }
  if (err.code === 'ENOENT') return make('LOOP_CONNECT_FAILED', `no socket at ${where}`, err);
  return make('LOOP_CONNECT_FAILED', `cannot connect to ${where}: ${err.message}`, err);
}

/** A failed listen() as a TransportError. */
export function listenError(err: NodeError, endpoint: Endpoint): TransportError {
  const where = formatAddress(endpoint);
  if (err.code === 'EADDRINUSE') return make('LOOP_ADDRESS_IN_USE', `address ${where} is already in use`, err);
  return make('LOOP_LISTEN_FAILED', `cannot listen on ${where}: ${err.message}`, err);
}

/** A TLS handshake an incoming client failed. */
export function tlsClientError(err: NodeError, peer: string): TransportError {
  const check = (err.code && TLS_CHECKS[err.code]) ?? err.message;
  return make('LOOP_TLS_FAILED', `TLS handshake with client ${peer} failed: ${check} (${err.code ?? 'no code'})`, err);
}

/** An error on an open channel. */
export function ioError(err: NodeError, peer: string): TransportError {
  if (err.code !== undefined && RESET_CODES.has(err.code))
    return make('LOOP_CONNECTION_RESET', `connection to ${peer} reset`, err);
  if (isTlsCode(err.code)) return make('LOOP_TLS_FAILED', `TLS error on connection to ${peer}: ${err.message}`, err);
  return make('LOOP_IO_FAILED', `I/O error on connection to ${peer}: ${err.message}`, err);
}
