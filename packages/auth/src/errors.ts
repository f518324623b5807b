import { RpcError } from '@rpc/loop';

/** Codes of {@link AuthError}. */
export type AuthErrorCode = 'AUTH_FAILED' | 'AUTH_SERVER_UNVERIFIED' | 'AUTH_PROTOCOL' | 'AUTH_INVALID_OPTION';

/**
 * Authentication did not succeed: the credentials were refused
 * (AUTH_FAILED), the server could not prove it knows them
 * (AUTH_SERVER_UNVERIFIED), a SCRAM message was malformed (AUTH_PROTOCOL),
 * or an auth option is wrong (AUTH_INVALID_OPTION).
 */
export class AuthError extends RpcError {
  override readonly name = 'AuthError';
  declare readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
