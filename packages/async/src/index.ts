export { Caller } from './caller.js';
export {
  AsyncClient,
  type AsyncClientEvents,
  type AsyncClientOptions,
  type AsyncServerAddress,
  type ReturnCallback,
} from './client.js';
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
export { ASYNC_ERRORS, asyncError, type AsyncErrorCode } from './errors.js';
export { ConnectionGate, type ConnectionGateOptions } from '@rpc/msg';
export {
  Multiplexer,
  type EventHandler,
  type MultiplexerOptions,
  type MuxEvent,
  type MuxListener,
  type MuxListenOptions,
} from './multiplexer.js';
export type { ArgsOf, Procedure, ProcedureMap, ProcedureName, Procedures, Untyped, ValuesOf } from './procedures.js';
export { AsyncServer, type AsyncServerEvents, type AsyncServerOptions } from './server.js';
