export { cborCodec } from './cbor-codec.js';
