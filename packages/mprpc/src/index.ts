export { MsgpackExtension } from '@rpc/codec-msgpack';
export { MprpcClient, type MprpcClientEvents, type MprpcClientOptions } from './client.js';
export { mprpcCodec } from './codec.js';
export {
  CancelError,
  ProtocolError,
  RemoteError,
  RpcError,
  TransportError,
  UsageError,
  type ErrorKind,
} from '@rpc/loop';
export type { CallLimits } from '@rpc/core';
export { MPRPC_ERRORS, mprpcError, type MprpcErrorCode } from './errors.js';
export { msgpackValues } from './framing.js';
export type {
  Handlers,
  MethodName,
  Methods,
  MprpcHandler,
  MprpcResult,
  ParamsOf,
  ResultOf,
  Untyped,
} from './methods.js';
export type { CommonOptions, HandlerOptions, ServerHandlerOptions } from './options.js';
export { MprpcPeer, type PeerOptions } from './peer.js';
export { MprpcServer, type MprpcServerEvents, type MprpcServerOptions } from './server.js';
export { ValueSplitter } from './value-splitter.js';
