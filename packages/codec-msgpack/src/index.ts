export { KEEPABLE_EXTENSIONS, MsgpackExtension } from './extension.js';
export { MSGPACK_FORMAT, msgpackCodec, type MsgpackCodecOptions } from './msgpack-codec.js';
