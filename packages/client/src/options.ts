import type { Logger, MessageFormat } from '@rpc/core';
import type { Loop, TlsOptions } from '@rpc/loop';
import type { Client } from './client.js';

/** Event::RPC::Client's options, camelCased. */
export interface ClientOptions {
  /** Default localhost. */
  readonly host?: string;
  /** The server's TCP port. */
  readonly port: number;
  /** Load only these classes (class_info for each) instead of all (class_info_all). */
  readonly classes?: readonly string[];
  /** Local names for remote classes: `{ 'Remote::Name': 'Local' }` lets remoteClass('Local') reach Remote::Name. */
  readonly classMap?: Readonly<Record<string, string>>;
  /** Give up connecting after this many milliseconds (Event::RPC's `timeout`, which is in seconds). */
  readonly connectTimeoutMs?: number;
  /** The default deadline of every call, in milliseconds (none by default); a call's own `deadlineMs` wins. */
  readonly deadlineMs?: number;
  /**
   * Ping the server after this long without a message from it, and close the connection when the ping is not answered
   * within the same time (default 30 s; 0: never). With a Perl server no ping waits behind a call.
   */
  readonly keepAliveMs?: number;
  /** Called with errors instead of rejecting: the call then resolves undefined, as Event::RPC's error_cb. */
  readonly errorCallback?: (client: Client, error: Error) => void;
  /**
   * Also accept formats whose decoders can build arbitrary objects (Storable-style codecs), and fall back to Storable
   * with servers that do not negotiate (default false).
   */
  readonly insecureFormatsOk?: boolean;
  /**
   * Must match the server's (default 16 MiB; Event::RPC's is 2 GiB, `PERL_MAX_PACKET_SIZE`); also a property of the
   * client, changeable at any time.
   */
  readonly maxPacketSize?: number;
  /**
   * Formats this client speaks, in order of preference: Event::RPC names (`'CBOR'`, `'JSON'`, `'MSGP'`) or codec
   * objects (default MSGP, CBOR, JSON).
   */
  readonly messageFormats?: readonly MessageFormat[];
  /** Connect over TLS. The server's certificate is verified unless sslOpts turns it off. */
  readonly ssl?: boolean;
  /** PEM file of the CAs to trust (default: the system's). */
  readonly sslCaFile?: string;
  /** A directory of PEM CA certificates to trust. */
  readonly sslCaPath?: string;
  /**
   * Further node:tls options: `servername` (the name to verify), `rejectUnauthorized: false` (no verification: a
   * warning is logged), client `key`/`cert`, ...
   */
  readonly sslOpts?: TlsOptions;
  /** Log in as this user; with an `@rpc` server by SCRAM-SHA-256, with a Perl server by Event::RPC's token. */
  readonly authUser?: string;
  /** The user's Event::RPC password token, `crypt(user, password)`, as Perl clients pass it. */
  readonly authPass?: string;
  /** Where warnings go. None by default: silent, unless NODE_DEBUG=rpc (in Node). */
  readonly logger?: Logger;
  /**
   * This client's functions, target objects and streams the server may hold at once (with an `@rpc` server); a call
   * handing over more rejects with RPC_LIMIT before it is sent (default 10,000).
   */
  readonly maxExports?: number;
  /** The server's functions, targets and streams this client holds stubs of at once (default 10,000). */
  readonly maxImports?: number;
  /** Values of one stream on their way or waiting to be read, either way: its window (default 64). */
  readonly streamWindow?: number;
  /**
   * Connect again when the server drains (`goaway`) or the connection drops: `true` for the defaults, or the backoff
   * to use (default: off, as Event::RPC). Calls made meanwhile wait for the new connection (at most `waitMs`); objects
   * of the old connection are lost (the `lost` event; their calls reject with RPC_OBJECT_LOST).
   */
  readonly reconnect?: boolean | ReconnectOptions;
  /** The event loop to connect with (default: the Node loop; in browsers, a `BrowserWsLoop` to the page's host). */
  readonly loop?: Loop;
}

/** Per-call options, given to `client.request(...)` or to every call of a proxy through `withCallOptions`. */
export interface CallOptions {
  /** Aborting it rejects the call with RPC_CANCELLED; an `@rpc` server is told to cancel it too. */
  readonly signal?: AbortSignal;
  /**
   * Milliseconds to wait for the answer before rejecting with RPC_DEADLINE (default: the client's `deadlineMs`); an
   * `@rpc` server cancels the call then too.
   */
  readonly deadlineMs?: number;
  /**
   * Resolve with every value the method returned, as an array (Perl's list context); by default none gives undefined,
   * one gives itself, several an array.
   */
  readonly list?: boolean;
}

/** How a {@link Client} connects again (its `reconnect` option). */
export interface ReconnectOptions {
  /** Wait before the second attempt; each further one waits twice as long, with ±20% jitter (default 100 ms). */
  readonly initialDelayMs?: number;
  /** The longest wait between attempts (default 5 s). */
  readonly maxDelayMs?: number;
  /** Attempts before giving up: calls waiting then reject with RPC_NOT_CONNECTED (default 20). */
  readonly maxAttempts?: number;
  /** How long a call made while connecting again waits for the connection before RPC_NOT_CONNECTED (default 10 s). */
  readonly waitMs?: number;
}
