/**
 * The three messages of MessagePack-RPC
 * (https://github.com/msgpack-rpc/msgpack-rpc/blob/master/spec.md), which
 * RPC::Async's wire uses too: a request `[0, id, method, params]`, its
 * response `[1, id, error, result]` (error nil on success), and a
 * notification `[2, method, params]` that is never answered. `REQUEST` is
 * the type tag of a request.
 */
export const REQUEST = 0;
/** The type tag of a response, `[1, id, error, result]`. */
export const RESPONSE = 1;
/** The type tag of a notification, `[2, method, params]`, which is never answered. */
export const NOTIFICATION = 2;

/** A call that wants an answer: `[0, id, method, params]` decoded. */
export interface RequestMessage {
  /** Always {@link REQUEST}. */
  readonly type: typeof REQUEST;
  /** 32-bit unsigned, as PendingCalls gives out. */
  readonly id: number;
  /** The name of the procedure to call. */
  readonly method: string;
  /** The arguments, in order. */
  readonly params: readonly unknown[];
}

/** The answer to a request: `[1, id, error, result]` decoded. */
export interface ResponseMessage {
  /** Always {@link RESPONSE}. */
  readonly type: typeof RESPONSE;
  /** The id of the request this answers. */
  readonly id: number;
  /** null (or undefined) when the call succeeded. */
  readonly error: unknown;
  /** What the procedure returned; null when it failed. */
  readonly result: unknown;
}

/** A call that is never answered: `[2, method, params]` decoded. */
export interface NotificationMessage {
  /** Always {@link NOTIFICATION}. */
  readonly type: typeof NOTIFICATION;
  /** The name of the procedure to call. */
  readonly method: string;
  /** The arguments, in order. */
  readonly params: readonly unknown[];
}

/** Any of the three messages, told apart by `type`: what {@link parseCallMessage} gives. */
export type CallMessage = RequestMessage | ResponseMessage | NotificationMessage;

const isId = (value: unknown): value is number =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffff_ffff;

/** The message a decoded value is, or undefined for anything else (wrong length, type, id or field). */
export function parseCallMessage(value: unknown): CallMessage | undefined {
  if (!Array.isArray(value)) return undefined;
  const [type, a, b, c] = value as unknown[];
  if (type === REQUEST && value.length === 4 && isId(a) && typeof b === 'string' && Array.isArray(c)) {
    return { type, id: a, method: b, params: c };
  }
  if (type === RESPONSE && value.length === 4 && isId(a)) return { type, id: a, error: b, result: c };
  if (type === NOTIFICATION && value.length === 3 && typeof a === 'string' && Array.isArray(b)) {
    return { type, method: a, params: b };
  }
  return undefined;
}

/** The arrays that go on the wire, ready for the codec (null, not undefined, where MessagePack needs nil). */
export type RequestArray = [typeof REQUEST, number, string, readonly unknown[]];
/** A response as it goes on the wire: `[1, id, error, result]`. */
export type ResponseArray = [typeof RESPONSE, number, unknown, unknown];
/** A notification as it goes on the wire: `[2, method, params]`. */
export type NotificationArray = [typeof NOTIFICATION, string, readonly unknown[]];

/** A request for the wire; `id` comes from {@link PendingCalls}, which matches the response to the call. */
export function requestArray(id: number, method: string, params: readonly unknown[]): RequestArray {
  return [REQUEST, id, method, params];
}

/** A response: `error` null for a result, `result` null for an error. */
export function responseArray(id: number, error: unknown, result: unknown): ResponseArray {
  return [RESPONSE, id, error ?? null, result ?? null];
}

/** A notification for the wire: a call whose result nobody waits for. */
export function notificationArray(method: string, params: readonly unknown[]): NotificationArray {
  return [NOTIFICATION, method, params];
}
