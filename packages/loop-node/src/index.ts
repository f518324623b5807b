export { NodeLoop, nodeLoop } from './node-loop.js';
export { loadCaCertificates } from './ca-files.js';
export { connectError, listenError, type NodeError } from './errors.js';
export { rpcDebugLog } from './debug.js';
