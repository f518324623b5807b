export { MSGPACK_FORMAT, msgpackCodec } from './msgpack-codec.js';
