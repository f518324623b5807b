export { ByteBudget } from './byte-budget.js';
export { connect, type ConnectOptions } from './connect.js';
export { ConnectionGate, type ConnectionGateOptions } from './connection-gate.js';
export {
  Connection,
  type ConnectionEvents,
  type ConnectionStats,
  type Message,
  type MessageHandler,
} from './connection.js';
export { defaultLoop } from './default-loop.js';
export { eventLoop, type EventLoopOptions } from './event-loop.js';
export {
  setEventHandler,
  type EventHandlerOptions,
  type EventHandlers,
  type ReadHandler,
  type WriteHandler,
} from './event-handler.js';
export {
  CancelError,
  ProtocolError,
  RemoteError,
  RpcError,
  TransportError,
  UsageError,
  type ErrorKind,
} from '@rpc/loop';
export { MSG_ERRORS, msgError, type MsgErrorCode } from './errors.js';
export {
  checkMaxPacketSize,
  DEFAULT_MAX_PACKET_SIZE,
  encodeFrame,
  HEADER_SIZE,
  MAX_PACKET_SIZE_LIMIT,
  PERL_MAX_PACKET_SIZE,
  readLength,
  writeLength,
} from './frame.js';
export { FrameDecoder } from './frame-decoder.js';
export {
  lengthPrefixed,
  messagePerChunk,
  type Framing,
  type HoldingBudget,
  type MessageDecoder,
} from './framing.js';
export type { MsgOptions } from './options.js';
export {
  PROXY_HEADER_MAX_LENGTH,
  PROXY_V1_MAX_LENGTH,
  PROXY_V2_MAX_BODY,
  ProxyHeaderParser,
  startsWithProxySignature,
  type ProxyHeader,
  type ProxyHeaderStep,
} from './proxy-header.js';
export {
  MsgServer,
  type Login,
  type MsgServerEvents,
  type MsgServerOptions,
  type MsgServerStats,
  type ProxyProtocolOptions,
} from './server.js';
