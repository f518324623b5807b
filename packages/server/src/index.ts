export { returnList, RemoteError, type ClassSpec, type MethodKind } from '@rpc/core';
export { ConsoleLogger, type Logger } from './logger.js';
export type { ServerOptions, ServerSettings } from './options.js';
export { Server } from './server.js';
export { ServerConnection } from './server-connection.js';
