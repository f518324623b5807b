export {
  CancelError,
  ProtocolError,
  RemoteError,
  RpcError,
  TransportError,
  UsageError,
  type ErrorKind,
} from '@rpc/loop';
export { DEFAULT_MAX_DEPTH, DEFAULT_MAX_HEAP_BYTES, type Codec, type CodecOptions } from './codec.js';
export {
  CODEC_ERRORS,
  codecError,
  formatError,
  isCodecError,
  type CodecErrorCode,
} from './errors.js';
export {
  ClientNegotiation,
  FALLBACK_FORMAT,
  PERL_FORMATS,
  ServerNegotiation,
  type NegotiationOptions,
  type NegotiationStep,
} from './negotiation.js';
export { decodeNegotiation, encodeNegotiation, type NegotiationMessage } from './negotiation-message.js';
export { CodecRegistry } from './registry.js';
export { latin1, mentionsProto, sanitize, sanitizeInPlace, setKey, type SanitizeRules } from './sanitize.js';
export { decodeSafely } from './decode-safely.js';
export { checkHeap, HeapMeter, maxHeapBytesOf, tooLarge, type HeapScan } from './heap-budget.js';
export { FAST_PROPERTIES, HEAP_COST, latin1Cost, mapCost, propertiesCost, textCost } from './heap-cost.js';
export { SeenKeys } from './seen-keys.js';
export { encoderBuffer, LARGE_MESSAGE, PRICED_AFTER_LARGE, sizeBound } from './size-bound.js';
export { PERL_OBJECT_TAG, TaggedValue } from './tagged-value.js';
