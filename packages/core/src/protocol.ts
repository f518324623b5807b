/** What Event::RPC 1.10 answers to `version`; Perl clients warn on another version and die below protocol 1.00. */
export const EVENT_RPC_VERSION = '1.10';
/** The protocol version answered to `version`: Event::RPC's wire protocol 1.00, the one Perl clients require. */
export const EVENT_RPC_PROTOCOL = '1.00';

/** The raw text that ends a session (sent instead of a framed request by old clients). */
export const DISCONNECT = 'DISCONNECT\n';

/** Method kinds of a class's method map, as Event::RPC names them. */
export type MethodKind = '_constructor' | '_singleton' | '_object' | 1;

/**
 * Requests of the Event::RPC protocol (a map with `cmd`). `id` and `deadlineMs` only between `@rpc` peers that agreed
 * on them.
 */
export type Request =
  | {
      /** Asks for the server's version and protocol: a client's first request, and the keep-alive ping. */
      cmd: 'version';
      /** The richer protocol a `@rpc` client offers; Perl clients send none. */
      rpc?: PeerFeatures;
    }
  | {
      /** Logs in with Event::RPC's token. */
      cmd: 'auth';
      /** The name to log in as. */
      user: string;
      /** The crypt token `crypt(user, password)`, not the password itself. */
      pass: string;
    }
  | {
      /** One step of a SCRAM-SHA-256 login (`@rpc` peers only). */
      cmd: 'auth_scram';
      /** The client's SCRAM message: client-first, then client-final. */
      msg: string;
    }
  | {
      /** Makes a remote object with a constructor or singleton method. */
      cmd: 'new';
      /** `Class::Name::method`: the class and the static method to call. */
      method: string;
      /** The method's arguments; objects of this connection arrive as the objects themselves. */
      params: unknown[];
    }
  | {
      /** Calls a method of a remote object. */
      cmd: 'exec';
      /** The id of the object, from this connection's table. */
      oid: string;
      /** The method to call, as the class's method map names it. */
      method: string;
      /** The method's arguments; objects of this connection arrive as the objects themselves. */
      params: unknown[];
      /** Pipelining: call the method on the object that call `on` returns, once it has (capability peers). */
      on?: number;
    }
  | {
      /** Asks for the names of the classes the user may use. */
      cmd: 'classes_list';
    }
  | {
      /** Asks for one class's methods and their kinds. */
      cmd: 'class_info';
      /** The name of the class. */
      class: string;
    }
  | {
      /** Asks for every class's methods at once. */
      cmd: 'class_info_all';
    }
  | {
      /** Drops one reference to a remote object (a proxy's release). */
      cmd: 'client_destroy';
      /** The id of the object. */
      oid: string;
    }
  | {
      /** Calls one of the peer's references (capability peers): a function, or a target's method. */
      cmd: 'call';
      /** The reference's id, as the peer handed it over. */
      ref: number;
      /** The target's method; absent for a function. */
      method?: string;
      /** The arguments. */
      params: unknown[];
    }
  | {
      /** The client's answer to a server's `call` (answers to the client's own requests carry no `cmd`). */
      cmd: 'return';
      /** 1 for success, 0 for an error. */
      ok: 0 | 1;
      /** The values returned. */
      rc: unknown[];
      /** The error text when `ok` is 0. */
      msg?: string;
      /** The error's code, when it is one answers carry (see Answer.code). */
      code?: string;
    }
  | {
      /** Gives references back: the peer may drop them after `count` hand-overs (never answered). */
      cmd: 'release';
      /** The reference's id. */
      ref: number;
      /** How many times it was handed over. */
      count: number;
    }
  | {
      /** The consumer of a stream has room for `credit` more values (never answered). */
      cmd: 'pull';
      /** The stream's id. */
      ref: number;
      /** How many more values the producer may send. */
      credit: number;
    }
  | {
      /** Values of a stream, from its producer (never answered). */
      cmd: 'push';
      /** The stream's id. */
      ref: number;
      /** The values, in order; never more than the consumer's credit. */
      values: unknown[];
      /** The stream has ended (with `error` when the producer failed). */
      done?: boolean;
      /** Why the producer failed. */
      error?: string;
    }
  | {
      /** The client needs the kept results of these calls no more (see `pipe`); never answered. */
      cmd: 'finish';
      /** The ids of the calls. */
      ids: number[];
    }
  | {
      /**
       * The server is draining (a rolling restart): the client should send nothing new on this connection, let the
       * calls in flight finish, and connect again (through the balancer). Sent to `@rpc` clients that offered
       * `goaway`, which send it back, never answered, as their last request on the connection.
       */
      cmd: 'goaway';
      /** Why, as text. */
      msg: string;
    }
  | {
      /** Stops a call in flight (`@rpc` peers that agreed on ids); never answered. */
      cmd: 'cancel';
      /** The request id of the call to stop. */
      target: number;
    };

/** Fields every request may carry between `@rpc` peers. */
export interface RequestEnvelope {
  /** The request's id, repeated in its answer so that answers may come in any order. */
  id?: number;
  /** Milliseconds the server gives the call before it cancels it with RPC_DEADLINE. */
  deadlineMs?: number;
  /** The values carry references (functions, targets, streams) to turn into stubs (capability peers). */
  refs?: 1;
  /** Keep the object this call returns for pipelined calls until the client sends `finish` (capability peers). */
  pipe?: 1;
}

/** A request as a server reads it off the wire: one of the protocol's, or a command it does not know. */
export type IncomingRequest = (
  | Request
  | {
      /** A command the server does not know; it answers with Event::RPC's error text. */
      cmd: 'unknown';
      /** The command the peer sent, as text. */
      name: string;
    }
) &
  RequestEnvelope;

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
  if (map.refs === 1) request.refs = 1;
  if (map.pipe === 1) request.pipe = 1;
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
    case 'exec': {
      const request: IncomingRequest = { cmd, oid: text(map.oid), method: text(map.method), params: list(map.params) };
      if (typeof map.on === 'number') request.on = map.on;
      return request;
    }
    case 'call': {
      const request: IncomingRequest = { cmd, ref: Number(map.ref), params: list(map.params) };
      if (typeof map.method === 'string') request.method = map.method;
      return request;
    }
    case 'return': {
      const request: IncomingRequest = { cmd, ok: map.ok === 1 || map.ok === '1' ? 1 : 0, rc: list(map.rc) };
      if (typeof map.msg === 'string') request.msg = map.msg;
      if (typeof map.code === 'string') request.code = map.code;
      return request;
    }
    case 'release':
      return { cmd, ref: Number(map.ref), count: Number(map.count) };
    case 'pull':
      return { cmd, ref: Number(map.ref), credit: Number(map.credit) };
    case 'push': {
      const request: IncomingRequest = { cmd, ref: Number(map.ref), values: list(map.values) };
      if (map.done === true) request.done = true;
      if (typeof map.error === 'string') request.error = map.error;
      return request;
    }
    case 'goaway':
      return { cmd, msg: text(map.msg) };
    case 'finish':
      return { cmd, ids: list(map.ids).filter((id): id is number => typeof id === 'number') };
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
  /** 1 for success, 0 for an error. */
  ok?: 0 | 1;
  /** The error text when `ok` is 0, worded as Event::RPC words it. */
  msg?: string;
  /** The id of the request answered, between `@rpc` peers that agreed on ids. */
  id?: number;
  /** A refusal's code when it is a limit, a malformed request, a released reference, a deadline or a shutdown. */
  code?: string;
  [field: string]: unknown;
}

/**
 * What a `@rpc` peer adds to the `version` exchange to offer the richer
 * protocol: request ids (many calls in flight, answers in any order),
 * cancellation and per-call deadlines. Perl peers ignore the field.
 */
export interface PeerFeatures {
  /** Requests carry ids: many calls in flight on one connection, answered in any order. */
  readonly ids?: boolean;
  /** A call in flight can be stopped with a `cancel` request. */
  readonly cancel?: boolean;
  /** Requests may carry `deadlineMs`, after which the server cancels the call. */
  readonly deadlines?: boolean;
  /** The server logs users in by SCRAM-SHA-256 (`auth_scram`), so no password token crosses the wire. */
  readonly scram?: boolean;
  /** Functions, targets and streams travel by reference both ways, and calls can be pipelined. */
  readonly capabilities?: boolean;
  /** The client understands `goaway`: told that the server drains, it moves to a new connection. */
  readonly goaway?: boolean;
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
