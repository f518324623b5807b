import { latin1 } from '@rpc/codec';

/**
 * Up to this many bytes, text is built from char codes; longer ASCII goes through TextDecoder, which costs a fixed ~80
 * ns.
 */
const SHORT = 24;
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** `bytes[start..end)` as one character per byte (a Perl byte string, as the CBOR codec reads them). */
export function latin1Text(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= SHORT) return fromCodes(bytes, start, end);
  for (let i = start; i < end; i++) if ((bytes[i] as number) >= 0x80) return latin1(bytes.subarray(start, end));
  return utf8.decode(bytes.subarray(start, end));
}

/**
 * `bytes[start..end)` as UTF-8 text. Not validated (as the Sereal spec allows): bad sequences read as U+FFFD, and a BOM
 * stays.
 */
export function utf8Text(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= SHORT) {
    let i = start;
    while (i < end && (bytes[i] as number) < 0x80) i++;
    if (i === end) return fromCodes(bytes, start, end);
  }
  return utf8.decode(bytes.subarray(start, end));
}

function fromCodes(bytes: Uint8Array, start: number, end: number): string {
  const codes = new Array<number>(end - start);
  for (let i = start; i < end; i++) codes[i - start] = bytes[i] as number;
  return String.fromCharCode.apply(null, codes);
}
