// What the client takes from its platform: its log when none is given, and reading CA files. Node's, here.
import { debugLogger } from '@rpc/core';
import { rpcDebugLog } from '@rpc/loop-node';

export { loadCaCertificates } from '@rpc/loop-node';

/** Silent unless NODE_DEBUG=rpc. */
export const defaultLogger = debugLogger(rpcDebugLog);
