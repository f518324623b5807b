export { AuthError, crypt } from '@rpc/auth';
export { CallError, ProtocolError, RemoteError } from '@rpc/core';
export { Client } from './client.js';
export type { CallOptions, ClientOptions } from './options.js';
export { withCallOptions } from './proxy.js';
export type { MethodKeys, RemoteArgs, RemoteClass, RemoteHandle, RemoteObject, RemoteValue } from './types.js';
