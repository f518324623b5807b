export {
  crypt,
  formatScramVerifier,
  deriveScramCredentials,
  PasswdHash,
  type AccessRules,
  type AuthModule,
} from '@rpc/auth';
export {
  CancelError,
  ConsoleLogger,
  ProtocolError,
  RemoteError,
  RemoteStream,
  returnList,
  RPC_ERRORS,
  RpcError,
  target,
  TransportError,
  UsageError,
  type ClassSpec,
  type RemoteTarget,
  type Stub,
  type StubHandle,
  type Target,
  type ErrorKind,
  type FormatName,
  type Logger,
  type MessageFormat,
  type MethodKind,
  type ModuleRef,
  type RpcErrorCode,
  type ConnectionReport,
  type ServerStats,
} from '@rpc/core';
export { PERL_MAX_PACKET_SIZE } from '@rpc/msg';
export type { LoginRequest } from './authenticator.js';
export type { ServerOptions, ServerSettings } from './options.js';
export { Server, type EventRpcServerStats, type ServerEvents } from './server.js';
export { ServerConnection } from './server-connection.js';
