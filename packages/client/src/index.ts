export { AUTH_ERRORS, crypt, type AuthErrorCode } from '@rpc/auth';
export {
  CancelError,
  ProtocolError,
  RemoteError,
  RPC_ERRORS,
  RpcError,
  TransportError,
  UsageError,
  type Answer,
  type ErrorKind,
  type Request,
  type RpcErrorCode,
} from '@rpc/core';
export { Client, type ClientEvents } from './client.js';
export type { CallOptions, ClientOptions } from './options.js';
export { withCallOptions } from './proxy.js';
export type { MethodKeys, RemoteArgs, RemoteClass, RemoteHandle, RemoteObject, RemoteValue } from './types.js';
