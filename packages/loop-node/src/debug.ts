import { debuglog } from 'node:util';

/** @rpc's NODE_DEBUG section: `NODE_DEBUG=rpc` turns on the log of servers and clients that were given no logger. */
export const rpcDebugLog = debuglog('rpc');
