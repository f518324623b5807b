import { errorFactory, ProtocolError, RemoteError, UsageError, type ErrorTable } from '@rpc/loop';

/** The codes of `@rpc/auth`. */
export const AUTH_ERRORS = {
  /** The server refused the credentials (always with the one text `Illegal credentials`). */
  AUTH_FAILED: RemoteError,
  /** The server could not prove that it knows the credentials (a wrong SCRAM server signature). */
  AUTH_SERVER_UNVERIFIED: ProtocolError,
  /** A malformed SCRAM message, or more iterations than a client accepts. */
  AUTH_PROTOCOL: ProtocolError,
  /** A password entry or access list that cannot be used. */
  AUTH_INVALID_OPTION: UsageError,
} as const satisfies ErrorTable;

/** The `code` of an error of {@link AUTH_ERRORS}. */
export type AuthErrorCode = keyof typeof AUTH_ERRORS;

/** Makes the errors of `@rpc/auth`. */
export const authError = errorFactory(AUTH_ERRORS);
