export { testPki, type TestPki } from './certs.js';
export { socketPath } from './tmp.js';
export { once, waitFor } from './wait.js';
