export { AUTH_ERRORS, crypt, type AuthErrorCode } from '@rpc/auth';
export { CancelError, ProtocolError, RemoteError, RPC_ERRORS, RpcError, TransportError, UsageError, type ErrorKind, type RpcErrorCode } from '@rpc/core';
export { Client } from './client.js';
export type { CallOptions, ClientOptions } from './options.js';
export { withCallOptions } from './proxy.js';
export type { MethodKeys, RemoteArgs, RemoteClass, RemoteHandle, RemoteObject, RemoteValue } from './types.js';
