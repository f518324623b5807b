export { Caller } from './caller.js';
export { AsyncClient, type AsyncClientOptions, type ReturnCallback } from './client.js';
export { CancelError, ProtocolError, RemoteError, RpcError, TransportError, UsageError, type ErrorKind } from '@rpc/loop';
export { ASYNC_ERRORS, asyncError, type AsyncErrorCode } from './errors.js';
export { Multiplexer, type EventHandler, type MultiplexerOptions, type MuxEvent, type MuxListener } from './multiplexer.js';
export { AsyncServer, type AsyncServerOptions, type Procedure } from './server.js';
