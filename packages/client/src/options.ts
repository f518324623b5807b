import type { Codec } from '@rpc/codec';
import type { Loop, TlsOptions } from '@rpc/loop';
import type { Client } from './client.js';

/** Event::RPC::Client's options, camelCased. */
export interface ClientOptions {
  /** Default localhost. */
  readonly host?: string;
  readonly port: number;
  /** Load only these classes (class_info for each) instead of all (class_info_all). */
  readonly classes?: readonly string[];
  /** Local names for remote classes: `{ 'Remote::Name': 'Local' }` lets remoteClass('Local') reach Remote::Name. */
  readonly classMap?: Readonly<Record<string, string>>;
  /** Milliseconds to connect, and the default deadline of every call (none when undefined). */
  readonly timeout?: number;
  /** Called with errors instead of rejecting: the call then resolves undefined, as Event::RPC's error_cb. */
  readonly errorCallback?: (client: Client, error: Error) => void;
  readonly insecureFormatsOk?: boolean;
  /** Must match the server's (default 2 GiB). */
  readonly maxPacketSize?: number;
  /** Formats this client speaks, in order of preference (default MSGP, CBOR, JSON). */
  readonly messageFormats?: readonly Codec[];
  /** Connect over TLS with these options (issue 5 adds the Event::RPC names). */
  readonly tls?: TlsOptions;
  readonly loop?: Loop;
}

/** Per-call options, passed as `client.call(...)` or through `withOptions`. */
export interface CallOptions {
  readonly signal?: AbortSignal;
  readonly deadlineMs?: number;
}
