export { acceptAfterListen } from './accept-after-listen.js';
export { BaseChannel, type BaseChannelOptions } from './base-channel.js';
export type { Channel, ChannelEvents, FlushCallback } from './channel.js';
export { Emitter, type Listener as EmitterListener, type ListenerErrorHook, type Subscription } from './emitter.js';
export {
  checkEndpoint,
  formatAddress,
  isUnixEndpoint,
  type Address,
  type Endpoint,
  type EndpointOptions,
  type TcpEndpoint,
  type TlsOptions,
  type UnixEndpoint,
} from './endpoint.js';
export {
  CancelError,
  errorFactory,
  LOOP_ERRORS,
  loopError,
  ProtocolError,
  RemoteError,
  RpcError,
  TransportError,
  UsageError,
  type ErrorClass,
  type ErrorKind,
  type ErrorOf,
  type ErrorTable,
  type LoopErrorCode,
  type RpcErrorOptions,
} from './errors.js';
export type {
  ConnectOptions,
  Listener,
  ListenerEvents,
  Loop,
  ReadableSource,
  Timer,
  WatchHandlers,
  WatchSource,
  WritableSink,
} from './loop.js';
export { HostLoop, hostRepeat, hostTimer, hostTurn, LoopRun } from './host.js';
export { makeTimer } from './timer.js';
export { TransportLoop } from './transport-loop.js';
export { watchSource, type WatchScheduling } from './watch.js';
