import type { ScramCredentials } from './scram.js';

/**
 * Event::RPC's auth module interface: decides whether a user may connect.
 * `pass` is what Event::RPC clients send, the crypt token
 * (`crypt(user, password)`). A module that can also hand out a user's
 * SCRAM credentials lets `@rpc` clients log in by challenge-response, without
 * sending any token.
 */
export interface AuthModule {
  /** Whether `pass`, Event::RPC's crypt token, is right for `user` (Event::RPC's `check_credentials`). */
  checkCredentials(user: string, pass: string): boolean | Promise<boolean>;
  /** The SCRAM-SHA-256 credentials stored for `user`, or undefined for an unknown user. */
  scramCredentials?(user: string): ScramCredentials | undefined | Promise<ScramCredentials | undefined>;
}
