import { errorFactory, TransportError, UsageError, type ErrorTable } from '@rpc/loop';

/**
 * The codes of `@rpc/loop-nats`. Cases every adapter shares keep the codes of
 * `@rpc/loop` (LOOP_CONNECTION_REFUSED when nobody listens on the subject,
 * LOOP_CONNECT_TIMEOUT, LOOP_ABORTED, LOOP_CHANNEL_CLOSED); these are the
 * cases only NATS has.
 */
export const NATS_ERRORS = {
  /** No NATS server of `servers` could be reached (`cause`: the client's error). */
  NATS_SERVERS_UNREACHABLE: TransportError,
  /** The peer dropped the session (its destroy(), or it no longer knew the session). */
  NATS_SESSION_RESET: TransportError,
  /** Nothing was heard from the peer for peerTimeoutMs: its process or its NATS server is gone. */
  NATS_PEER_LOST: TransportError,
  /** This loop's NATS connection closed for good (every server lost past the reconnect attempts, or closed). */
  NATS_CONNECTION_CLOSED: TransportError,
  /**
   * The peer broke the session protocol (a malformed open, answer or control message, data past the window it was
   * given): the session, or that one open, is dropped. A transport failure, as a channel's `close` reports it.
   */
  NATS_SESSION_BROKEN: TransportError,
  /** An option out of range (a subject with wildcards or spaces, a window smaller than a message). */
  NATS_INVALID_OPTION: UsageError,
} as const satisfies ErrorTable;

/** A code of {@link NATS_ERRORS}, as `error.code` carries it. */
export type NatsErrorCode = keyof typeof NATS_ERRORS;

/** Makes the errors of @rpc/loop-nats. */
export const natsError = errorFactory(NATS_ERRORS);
