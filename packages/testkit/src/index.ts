export { describeChannelConformance, type ChannelAdapter, type LoopIo } from './channel-conformance.js';
export { testPki, testPkiFiles, type TestPki, type TestPkiFiles } from './certs.js';
export { asyncDisposer, disposer } from './dispose.js';
export {
  foreignObject,
  FUZZ_FORMATS,
  mutate,
  prototypeChange,
  randomInput,
  randomValue,
  Rng,
  type FuzzFormat,
} from './fuzz.js';
export { destroySocket, disposableServer, disposableSocket, freePortPair } from './sockets.js';
export { removeWhenDone, socketPath, tempDir, type TempDir } from './tmp.js';
export { once, waitFor } from './wait.js';
