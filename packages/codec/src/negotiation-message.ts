/**
 * Event::RPC's negotiation encoding, spoken before a format is agreed:
 * plain text `/0/E:R:M:N/1/<ok>/2/<msg>/3/<cmd>/0/`.
 */
export interface NegotiationMessage {
  /** `'1'` in an answer that agrees; empty otherwise. */
  readonly ok: string;
  /** The text: the offer (`SERL,CBOR,JSON`), the format chosen, or why it was refused. */
  readonly msg: string;
  /** The command: `neg_formats_avail` or `neg_format_set`; empty in answers. */
  readonly cmd: string;
}

// Perl's `$` also matches before a final newline; `.` never matches one.
const PATTERN = /^\/0\/E:R:M:N\/1\/(.*?)\/2\/(.*?)\/3\/(.*?)\/0\/\n?$/;
// Event::RPC deletes every "/<digit>/" from the values so that they cannot break the frame.
const FIELD_BREAKERS = /\/\d\//g;

function toBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

/** A message in negotiation encoding; fields left out are empty, and `/<digit>/` is removed from each as Perl does. */
export function encodeNegotiation(message: Partial<NegotiationMessage>): Uint8Array {
  const [ok, msg, cmd] = [message.ok, message.msg, message.cmd].map((v) => (v ?? '').replace(FIELD_BREAKERS, ''));
  return toBytes(`/0/E:R:M:N/1/${ok}/2/${msg}/3/${cmd}/0/`);
}

/** The message, or undefined when the bytes are not in negotiation encoding (an old client, or another format). */
export function decodeNegotiation(bytes: Uint8Array): NegotiationMessage | undefined {
  // Negotiation frames are short; anything long cannot be one.
  if (bytes.length > 4096 || bytes[0] !== 0x2f) return undefined;
  const match = PATTERN.exec(String.fromCharCode.apply(null, bytes as unknown as number[]));
  if (match === null) return undefined;
  return { ok: match[1] as string, msg: match[2] as string, cmd: match[3] as string };
}
