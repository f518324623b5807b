import type { Codec } from '@rpc/codec';
import { KEEPABLE_EXTENSIONS, msgpackCodec } from '@rpc/codec-msgpack';

/** The codec of MessagePack-RPC: @rpc's hardened MessagePack, keeping application extensions (neovim's handles). */
export function mprpcCodec(extensions: readonly number[] = KEEPABLE_EXTENSIONS): Codec {
  return msgpackCodec({ extensions });
}
