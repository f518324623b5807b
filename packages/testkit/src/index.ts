export { describeChannelConformance, type ChannelAdapter, type LoopIo } from './channel-conformance.js';
export { testPki, testPkiFiles, type TestPki, type TestPkiFiles } from './certs.js';
export { socketPath } from './tmp.js';
export { once, waitFor } from './wait.js';
