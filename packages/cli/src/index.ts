export { run } from './run.js';
export type { CliIo, TextSink, TextSource } from './io.js';
export { CLI_ERRORS, EXIT, type CliErrorCode } from './errors.js';
