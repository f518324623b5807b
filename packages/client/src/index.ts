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
export { Client, type ClientEvents, type ReferenceCounts } from './client.js';
export type { CallOptions, ClientOptions, ReconnectOptions } from './options.js';
export { withCallOptions, type ProxyHost, type Receipt } from './proxy.js';
export type {
  ConstructorArgs,
  Fn,
  KeysOfKind,
  MethodKeys,
  RemoteArgs,
  RemoteClass,
  RemoteClassOfSpec,
  RemoteHandle,
  RemoteList,
  RemoteListObject,
  RemoteObject,
  RemoteOf,
  RemotePromise,
  RemoteValue,
} from './types.js';
export { RemoteStream, target, type RemoteTarget, type Stub, type StubHandle, type Target } from '@rpc/core';
