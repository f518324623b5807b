export { jsonCodec } from './json-codec.js';
