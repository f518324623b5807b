export { SEREAL_FORMAT } from './errors.js';
export { serealCodec } from './sereal-codec.js';
