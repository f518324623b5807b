export {
  NOTIFICATION,
  notificationArray,
  parseCallMessage,
  REQUEST,
  requestArray,
  RESPONSE,
  responseArray,
  type CallMessage,
  type NotificationArray,
  type NotificationMessage,
  type RequestArray,
  type RequestMessage,
  type ResponseArray,
  type ResponseMessage,
} from './call-messages.js';
export { ClassRegistry, ExportedClass, type ClassImpl, type ClassSpec, type ModuleRef } from './classes.js';
export {
  exportClass,
  type ExportedClassSpec,
  type Fn,
  type InstanceOf,
  type KindsFor,
  type MethodKeys,
  type MethodMapOf,
} from './export-class.js';
export { Dispatcher, type DispatcherOptions, type Session } from './dispatcher.js';
export { answerError, failWith, type Answering } from './answering.js';
export {
  Capabilities,
  CAPABILITY_LIMITS,
  type CapabilityLimits,
  type CapabilityPeer,
  type Encoded,
} from './capabilities.js';
export { KeptResults } from './kept-results.js';
export {
  REFERENCE_TAGS,
  target,
  targetMethods,
  type RemoteTarget,
  type Stub,
  type StubHandle,
  type Target,
} from './references.js';
export { RemoteStream, type StreamLink } from './remote-stream.js';
export { Drain } from './drain.js';
export {
  CancelError,
  ProtocolError,
  RemoteError,
  RpcError,
  TransportError,
  UsageError,
  type ErrorKind,
} from '@rpc/loop';
export { describeThrown, RPC_ERRORS, rpcError, type RpcErrorCode } from './errors.js';
export { Connector } from './connector.js';
export { NO_LIMITS, PendingCalls, withDeadline, type CallLimits, type PendingCallsOptions } from './pending-calls.js';
export { DEFAULT_FORMATS, formatRegistry, type FormatName, type MessageFormat } from './formats.js';
export { ConsoleLogger, debugLogger, formatLogLine, type DebugSection, type Logger } from './logger.js';
export { LogThrottle } from './log-throttle.js';
export { findMethod, instanceMethod, type AnyFunction } from './methods.js';
export { newObjectId } from './object-id.js';
export { ObjectTable, type HeldObject, type ObjectLimits } from './object-table.js';
export {
  DISCONNECT,
  EVENT_RPC_PROTOCOL,
  EVENT_RPC_VERSION,
  methodKind,
  oidClass,
  readRequest,
  type Answer,
  type MethodKind,
  type PeerFeatures,
  type IncomingRequest,
  type Request,
  type RequestEnvelope,
} from './protocol.js';
export { rcOf, returnList, type ReturnList } from './results.js';
export {
  connectionReport,
  ErrorCounts,
  type CallFigures,
  type ConnectionReport,
  type ServerStats,
  type TrafficFigures,
} from './stats.js';
