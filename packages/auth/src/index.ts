export { AccessList, type AccessRules } from './access-list.js';
export type { AuthModule } from './auth-module.js';
export { constantTimeEqual } from './bytes.js';
export { crypt } from './crypt.js';
export { AUTH_ERRORS, authError, type AuthErrorCode } from './errors.js';
export { PasswdHash } from './passwd-hash.js';
export {
  DEFAULT_ITERATIONS,
  deriveScramCredentials,
  formatScramVerifier,
  parseScramVerifier,
  type ScramCredentials,
} from './scram.js';
export { ScramClient } from './scram-client.js';
export { ScramServer, type ScramLookup, type ScramResult } from './scram-server.js';
