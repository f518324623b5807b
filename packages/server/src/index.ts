export { crypt, formatScramVerifier, deriveScramCredentials, PasswdHash, type AccessRules, type AuthModule } from '@rpc/auth';
export { ConsoleLogger, returnList, RemoteError, type ClassSpec, type FormatName, type Logger, type MessageFormat, type MethodKind, type ModuleRef } from '@rpc/core';
export type { ServerOptions, ServerSettings } from './options.js';
export { Server, type ServerEvents } from './server.js';
export { ServerConnection } from './server-connection.js';
