/**
 * The three messages of MessagePack-RPC
 * (https://github.com/msgpack-rpc/msgpack-rpc/blob/master/spec.md), which
 * RPC::Async's wire uses too: a request `[0, id, method, params]`, its
 * response `[1, id, error, result]` (error nil on success), and a
 * notification `[2, method, params]` that is never answered.
 */
export const REQUEST = 0;
export const RESPONSE = 1;
export const NOTIFICATION = 2;

export interface RequestMessage {
  readonly type: typeof REQUEST;
  /** 32-bit unsigned, as PendingCalls gives out. */
  readonly id: number;
  readonly method: string;
  readonly params: readonly unknown[];
}

export interface ResponseMessage {
  readonly type: typeof RESPONSE;
  readonly id: number;
  /** null (or undefined) when the call succeeded. */
  readonly error: unknown;
  readonly result: unknown;
}

export interface NotificationMessage {
  readonly type: typeof NOTIFICATION;
  readonly method: string;
  readonly params: readonly unknown[];
}

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
export type ResponseArray = [typeof RESPONSE, number, unknown, unknown];
export type NotificationArray = [typeof NOTIFICATION, string, readonly unknown[]];

export function requestArray(id: number, method: string, params: readonly unknown[]): RequestArray {
  return [REQUEST, id, method, params];
}

/** A response: `error` null for a result, `result` null for an error. */
export function responseArray(id: number, error: unknown, result: unknown): ResponseArray {
  return [RESPONSE, id, error ?? null, result ?? null];
}

export function notificationArray(method: string, params: readonly unknown[]): NotificationArray {
  return [NOTIFICATION, method, params];
}
