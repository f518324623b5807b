import { natsError } from './errors.js';

/**
 * The session protocol on NATS subjects. A listener subscribes to the
 * service subject in a queue group; a connect is one request there (an
 * {@link OpenRequest}) and the member that takes it answers with an
 * {@link OpenAnswer}. From then on each side publishes to the other's
 * per-session subjects, `<peer inbox>.<peer session>.<last token>`, where the
 * last token is the stream offset of a data message (its payload is the
 * bytes, as written: no copy, no header) or one letter for a control message.
 */
export const Control = {
  /** Payload: the offset the receiver has delivered (credit for the sender, and what it may forget). */
  ack: 'a',
  /** Payload: the offset the receiver has; the sender resends what it still keeps from there. */
  resend: 'n',
  /** Payload: the offset the sender has sent; sent when nothing else went for a heartbeat. */
  ping: 'p',
  /** Payload: the final offset; the sender writes no more. */
  end: 'e',
  /** Payload: why, as text; the session is dropped. */
  reset: 'r',
} as const;

/** One of {@link Control}'s letters. */
export type ControlKind = (typeof Control)[keyof typeof Control];

/** What a connecting side sends on the service subject. */
export interface OpenRequest {
  readonly v: 1;
  /** Only asks whether anyone listens (listen on port 0 picking a free subject); opens nothing. */
  readonly probe?: boolean;
  /** The connecting side's inbox prefix and session number: where to publish to it. */
  readonly inbox: string;
  readonly session: string;
  /** Bytes the connecting side lets the listener send before it acknowledges them. */
  readonly window: number;
  /** Its address as its NATS server sees it (client_ip), and its NATS client id, for log lines. */
  readonly host: string;
  readonly port: number;
}

/** What the listener that took an {@link OpenRequest} answers. */
export interface OpenAnswer {
  readonly v: 1;
  /** The listener was closing: nobody took the session (LOOP_CONNECTION_REFUSED, as when nobody listens). */
  readonly refused?: boolean;
  readonly inbox: string;
  readonly session: string;
  readonly window: number;
  readonly host: string;
  readonly port: number;
}

const utf8 = new TextEncoder();
const text = new TextDecoder();

/** JSON bytes of an open request or answer. */
export function encodeOpen(message: OpenRequest | OpenAnswer): Uint8Array {
  return utf8.encode(JSON.stringify(message));
}

/**
 * Reads an open request or answer, or throws NATS_SESSION_BROKEN. A probe, or a refusal, carries only `v` and its
 * flag: `bare` lets them pass.
 */
export function decodeOpen<T extends OpenRequest | OpenAnswer>(bytes: Uint8Array, bare = false): T {
  let value: Partial<OpenRequest> | undefined;
  try {
    value = JSON.parse(text.decode(bytes)) as Partial<OpenRequest>;
  } catch {
    value = undefined;
  }
  const ok =
    value?.v === 1 &&
    (bare ||
      (typeof value.inbox === 'string' &&
        isToken(value.session) &&
        Number.isSafeInteger(value.window) &&
        (value.window as number) > 0 &&
        typeof value.host === 'string' &&
        Number.isSafeInteger(value.port)));
  if (!ok) throw natsError('NATS_SESSION_BROKEN', 'malformed session open message');
  return value as T;
}

/** True for one subject token: non-empty, no dots, wildcards or white space. */
export function isToken(value: unknown): value is string {
  return typeof value === 'string' && /^[^.*>\s]+$/.test(value);
}

/** True for a subject to publish on: tokens joined by dots, without wildcards. */
export function isSubject(value: unknown): value is string {
  return typeof value === 'string' && value.split('.').every(isToken);
}

/** An offset as a control payload. */
export function offsetBytes(offset: number): Uint8Array {
  return utf8.encode(String(offset));
}

/** The offset in a control payload, or -1 when it is none. */
export function readOffset(bytes: Uint8Array): number {
  const offset = Number(text.decode(bytes));
  return Number.isSafeInteger(offset) && offset >= 0 ? offset : -1;
}

/** The text of a reset's payload. */
export function readText(bytes: Uint8Array): string {
  return text.decode(bytes);
}

/** The payload of a reset. */
export function textBytes(value: string): Uint8Array {
  return utf8.encode(value);
}
