/**
 * Object ids keep Event::RPC's `Class=...` form, since the Perl client reads
 * the class from the text before the first `=`, but the rest is 128 random
 * bits instead of a memory address, so that ids cannot be guessed.
 */
export function newObjectId(className: string): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return `${className}=OBJ(${hex})`;
}
