import type { Codec } from '@rpc/codec';
import { msgpackCodec } from '@rpc/codec-msgpack';

/**
 * On the wire, over Msg frames, in MessagePack: a call `[0, id, procedure, args]`,
 * its return `[1, id, null, values]`, or a refusal `[1, id, message, null]`.
 */
export const CALL = 0;
export const RETURN = 1;

export type WireMessage =
  | { readonly kind: typeof CALL; readonly id: number; readonly procedure: string; readonly args: unknown[] }
  | { readonly kind: typeof RETURN; readonly id: number; readonly error: string | null; readonly values: unknown[] };

export function defaultCodec(): Codec {
  return msgpackCodec();
}

export function parseWire(value: unknown): WireMessage | undefined {
  if (!Array.isArray(value) || value.length !== 4 || !Number.isInteger(value[1])) return undefined;
  const [kind, id, a, b] = value as [unknown, number, unknown, unknown];
  if (kind === CALL && typeof a === 'string' && Array.isArray(b)) return { kind, id, procedure: a, args: b };
  if (kind === RETURN && (a === null || typeof a === 'string') && (b === null || Array.isArray(b))) return { kind, id, error: a, values: b ?? [] };
  return undefined;
}
