/** MessagePack-RPC's three messages (https://github.com/msgpack-rpc/msgpack-rpc/blob/master/spec.md). */
export const REQUEST = 0;
export const RESPONSE = 1;
export const NOTIFICATION = 2;

export type Message =
  | { readonly type: typeof REQUEST; readonly msgid: number; readonly method: string; readonly params: unknown[] }
  | { readonly type: typeof RESPONSE; readonly msgid: number; readonly error: unknown; readonly result: unknown }
  | { readonly type: typeof NOTIFICATION; readonly method: string; readonly params: unknown[] };

const isMsgid = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffff_ffff;

/** The message a decoded value is, or undefined if it is not one. */
export function parseMessage(value: unknown): Message | undefined {
  if (!Array.isArray(value)) return undefined;
  const [type, a, b, c] = value as unknown[];
  if (type === REQUEST && value.length === 4 && isMsgid(a) && typeof b === 'string' && Array.isArray(c)) return { type, msgid: a, method: b, params: c };
  if (type === RESPONSE && value.length === 4 && isMsgid(a)) return { type, msgid: a, error: b, result: c };
  if (type === NOTIFICATION && value.length === 3 && typeof a === 'string' && Array.isArray(b)) return { type, method: a, params: b };
  return undefined;
}
