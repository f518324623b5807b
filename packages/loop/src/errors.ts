/**
 * The errors of every `@rpc` package. Each carries a stable string `code` and
 * belongs to one of five kinds, told apart by class (and by `kind`), as
 * vscode-jsonrpc keeps connection errors apart from response errors:
 *  - TransportError: the connection failed (refused, reset, TLS, closed under a call);
 *  - ProtocolError: the peer broke the rules (bad frames, bad negotiation, undecodable bytes);
 *  - RemoteError: the peer's own answer was an error (its message, and its data where it sends some);
 *  - UsageError: the local program used an API the wrong way (bad option, closed, released);
 *  - CancelError: the caller stopped waiting (cancelled, past its deadline).
 * Each package lists its codes once, with their kind, and builds its errors
 * through one factory made from that list ({@link errorFactory}).
 */
export type ErrorKind = 'transport' | 'protocol' | 'remote' | 'usage' | 'cancel';

/** What an {@link RpcError} carries besides its code and message; each kind reads the fields that concern it. */
export interface RpcErrorOptions {
  /** The error that led to this one, kept as the standard `Error.cause`. */
  readonly cause?: unknown;
  /** Details a caller may act on: what the peer sent with its error, a declared length, a byte offset. */
  readonly data?: unknown;
  /** TransportError: the platform's own code (ECONNRESET, CERT_HAS_EXPIRED, ...). */
  readonly reason?: string;
  /** RemoteError: the class of the peer's exception, where the peer names it. */
  readonly remoteClass?: string;
}

/**
 * The base of every `@rpc` error: a stable {@link RpcError.code | code}, a message for people, and one of the five
 * kinds ({@link ErrorKind}) as its class. Tell kinds apart with `instanceof` (or `kind`), cases with `code`.
 */
export abstract class RpcError extends Error {
  /** The class's name, as `Error.name`: `TransportError`, `ProtocolError`, ... */
  abstract override readonly name: string;
  /** Which of the five kinds this is, as the class tells. */
  abstract readonly kind: ErrorKind;
  /** The case, stable across versions (`LOOP_CONNECTION_REFUSED`): what to test for, not the message. */
  readonly code: string;
  /** Details a caller may act on (see {@link RpcErrorOptions.data}); undefined when there are none. */
  readonly data: unknown;

  constructor(code: string, message: string, options?: RpcErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = options?.data;
  }
}

/** The connection failed: refused, reset, a TLS check, closed while a call waited. */
export class TransportError extends RpcError {
  override readonly name = 'TransportError';
  readonly kind = 'transport';
  /** The platform's own code (ECONNRESET, CERT_HAS_EXPIRED, ...). */
  readonly reason: string | undefined;

  constructor(code: string, message: string, options?: RpcErrorOptions) {
    super(code, message, options);
    this.reason = options?.reason;
  }
}

/** The peer broke the protocol: a frame over the limit, bytes that do not decode, a message of the wrong shape. */
export class ProtocolError extends RpcError {
  override readonly name = 'ProtocolError';
  readonly kind = 'protocol';
}

/** The peer answered with an error: `message` is its text, `data` what it sent with it. */
export class RemoteError extends RpcError {
  override readonly name = 'RemoteError';
  readonly kind = 'remote';
  /** The class of the peer's exception, where the peer names it. */
  readonly remoteClass: string | undefined;

  constructor(code: string, message: string, options?: RpcErrorOptions) {
    super(code, message, options);
    this.remoteClass = options?.remoteClass;
  }
}

/**
 * The local program used an API the wrong way: a bad option, started twice, closed, released; never caused by a peer.
 */
export class UsageError extends RpcError {
  override readonly name = 'UsageError';
  readonly kind = 'usage';
}

/**
 * The caller stopped waiting: its AbortSignal aborted, or its deadline passed. Also the reason a server's call signal
 * aborts with.
 */
export class CancelError extends RpcError {
  override readonly name = 'CancelError';
  readonly kind = 'cancel';
}

/** One of the five kinds. */
export type ErrorClass =
  | typeof TransportError
  | typeof ProtocolError
  | typeof RemoteError
  | typeof UsageError
  | typeof CancelError;

/** A package's codes, each with its kind. */
export type ErrorTable = Readonly<Record<string, ErrorClass>>;

/** A package's error of code `C`: an instance of that code's kind, with `code` typed. */
export type ErrorOf<T extends ErrorTable, C extends keyof T> = InstanceType<T[C]> & {
  /** The code, as its literal type. */
  readonly code: C;
};

/**
 * The one place a package makes its errors: `errorFactory(TABLE)` gives
 * `(code, message, options?)`, which builds the kind the table names for
 * that code. Codes are checked by the compiler.
 */
export function errorFactory<T extends ErrorTable>(
  table: T,
): <C extends keyof T & string>(code: C, message: string, options?: RpcErrorOptions) => ErrorOf<T, C> {
  return (code, message, options) => {
    const kind = table[code] as ErrorClass; // the compiler has checked the code against the table
    return new kind(code, message, options) as ErrorOf<T, typeof code>;
  };
}

/** The codes of @rpc/loop and its adapters. */
export const LOOP_ERRORS = {
  /** listen: the address is taken (`reason` EADDRINUSE). */
  LOOP_ADDRESS_IN_USE: TransportError,
  /** listen failed otherwise (no permission, no such interface). */
  LOOP_LISTEN_FAILED: TransportError,
  /** connect: nobody listens at the TCP address. */
  LOOP_CONNECTION_REFUSED: TransportError,
  /** connect failed otherwise: no socket at a Unix path, an unreachable host. */
  LOOP_CONNECT_FAILED: TransportError,
  /** connect: `connectTimeoutMs` passed before the channel was up. */
  LOOP_CONNECT_TIMEOUT: TransportError,
  /** A TLS handshake failed; the message names the failed check, `reason` holds the TLS code. */
  LOOP_TLS_FAILED: TransportError,
  /** The peer reset an open channel. */
  LOOP_CONNECTION_RESET: TransportError,
  /** A write on a closed channel (told to its flush callback). */
  LOOP_CHANNEL_CLOSED: TransportError,
  /** Any other I/O error of an open channel or a watched handle. */
  LOOP_IO_FAILED: TransportError,
  /** connect: the caller's `signal` aborted the attempt. */
  LOOP_ABORTED: CancelError,
  /** An endpoint with a port outside 0 to 65535 or an empty socket path. */
  LOOP_INVALID_ENDPOINT: UsageError,
  /** watch without a `read` or `write` handler, or `write` on a handle that is no WritableSink. */
  LOOP_INVALID_OPTION: UsageError,
  /** What the adapter cannot do: a browser watching a source, I/O on an RxLoop without a transport. */
  LOOP_UNSUPPORTED: UsageError,
  /** WsLoop in Node without the `ws` package (an optional peer dependency): install it. */
  LOOP_WS_MISSING: UsageError,
} as const satisfies ErrorTable;

/** A code of {@link LOOP_ERRORS}, as `error.code` carries it. */
export type LoopErrorCode = keyof typeof LOOP_ERRORS;

/** Makes the errors of @rpc/loop and its adapters. */
export const loopError = errorFactory(LOOP_ERRORS);
