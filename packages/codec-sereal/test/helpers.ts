import { ProtocolError } from '@rpc/codec';
import { serealCodec } from '@rpc/codec-sereal';

export const sereal = serealCodec();

/** A protocol-5 document (magic, version 5, no suffix) around a body given in hex. */
export function doc(body: string, header = '3df3726c0500'): Uint8Array {
  return new Uint8Array(Buffer.from(header + body.replace(/\s+/g, ''), 'hex'));
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** The body of what we encode, in hex (the 6-byte header checked and left out). */
export function body(value: unknown): string {
  const bytes = hex(sereal.encode(value));
  if (!bytes.startsWith('3df3726c0500')) throw new Error(`unexpected header: ${bytes}`);
  return bytes.slice(12);
}

export function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Decoding `bytes` fails with a SERL ProtocolError of `code` whose message matches `message`. */
export function expectRefused(bytes: Uint8Array, code: string, message: RegExp, codec = sereal): ProtocolError {
  const error = thrownBy(() => codec.decode(bytes));
  expect(error).toBeInstanceOf(ProtocolError);
  expect(error).toMatchObject({ name: 'ProtocolError', code, data: { format: 'SERL' } });
  expect((error as Error).message).toMatch(message);
  return error as ProtocolError;
}
