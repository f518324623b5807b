/** What Event::RPC 1.10 answers to `version`; Perl clients warn on another version and die below protocol 1.00. */
export const EVENT_RPC_VERSION = '1.10';
export const EVENT_RPC_PROTOCOL = '1.00';

/** The raw text that ends a session (sent instead of a framed request by old clients). */
export const DISCONNECT = 'DISCONNECT\n';

/** Method kinds of a class's method map, as Event::RPC names them. */
export type MethodKind = '_constructor' | '_singleton' | '_object' | 1;

/**
 * Requests of the Event::RPC protocol (a map with `cmd`). `id` and `deadlineMs` only between @rpc peers that agreed on
 * them.
 */
export type Request =
  | { cmd: 'version'; rpc?: PeerFeatures }
  | { cmd: 'auth'; user: string; pass: string }
  | { cmd: 'auth_scram'; msg: string }
  | { cmd: 'new'; method: string; params: unknown[] }
  | { cmd: 'exec'; oid: string; method: string; params: unknown[] }
  | { cmd: 'classes_list' }
  | { cmd: 'class_info'; class: string }
  | { cmd: 'class_info_all' }
  | { cmd: 'client_destroy'; oid: string }
  | { cmd: 'cancel'; target: number };

/** Fields every request may carry between @rpc peers. */
export interface RequestEnvelope {
  id?: number;
  deadlineMs?: number;
}

/** A request as a server reads it off the wire: one of the protocol's, or a command it does not know. */
export type IncomingRequest = (Request | { cmd: 'unknown'; name: string }) & RequestEnvelope;

const text = (value: unknown): string => (value === undefined || value === null ? '' : String(value));
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/**
 * Reads a decoded request map into the typed union, its fields read as
 * Event::RPC reads them (Perl writes numbers as strings and strings as
 * numbers at whim): every field the command needs is there and of its type
 * afterwards, whatever the peer sent.
 */
export function readRequest(map: Readonly<Record<string, unknown>>): IncomingRequest {
  const request = commandOf(map);
  // Assigned rather than spread: this runs for every call.
  if (typeof map.id === 'number') request.id = map.id;
  if (typeof map.deadlineMs === 'number' && Number.isFinite(map.deadlineMs)) request.deadlineMs = map.deadlineMs;
  return request;
}

function commandOf(map: Readonly<Record<string, unknown>>): IncomingRequest {
  const cmd = map.cmd;
  switch (cmd) {
    case 'version':
      return map.rpc !== null && typeof map.rpc === 'object' ? { cmd, rpc: map.rpc as PeerFeatures } : { cmd };
    case 'auth':
      return { cmd, user: text(map.user), pass: text(map.pass) };
    case 'auth_scram':
      return { cmd, msg: text(map.msg) };
    case 'new':
      return { cmd, method: text(map.method), params: list(map.params) };
    case 'exec':
      return { cmd, oid: text(map.oid), method: text(map.method), params: list(map.params) };
    case 'classes_list':
    case 'class_info_all':
      return { cmd };
    case 'class_info':
      return { cmd, class: text(map.class) };
    case 'client_destroy':
      return { cmd, oid: text(map.oid) };
    case 'cancel':
      return { cmd, target: Number(map.target) };
    default:
      return { cmd: 'unknown', name: String(cmd) };
  }
}

/** An answer: `ok` 1 with the command's fields, or `ok` 0 with `msg`. */
export interface Answer {
  ok?: 0 | 1;
  msg?: string;
  id?: number;
  [field: string]: unknown;
}

/**
 * What a @rpc peer adds to the `version` exchange to offer the richer
 * protocol: request ids (many calls in flight, answers in any order),
 * cancellation and per-call deadlines. Perl peers ignore the field.
 */
export interface PeerFeatures {
  readonly ids?: boolean;
  readonly cancel?: boolean;
  readonly deadlines?: boolean;
  /** The server logs users in by SCRAM-SHA-256 (`auth_scram`), so no password token crosses the wire. */
  readonly scram?: boolean;
}

/** Perl writes a method type as `1` or `"1"` depending on the scalar's history. */
export function methodKind(value: unknown): MethodKind | undefined {
  if (value === 1 || value === '1') return 1;
  if (value === '_constructor' || value === '_singleton' || value === '_object') return value;
  return undefined;
}

/** The class an oid names: the text before the first `=`, as the Perl client reads it. */
export function oidClass(oid: string): string {
  const at = oid.indexOf('=');
  return at < 0 ? oid : oid.slice(0, at);
}
