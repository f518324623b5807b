import type { Framing } from '@rpc/msg';
import { ValueSplitter } from './value-splitter.js';

/** MessagePack-RPC's framing: none; each message is one MessagePack value, found by the ValueSplitter. */
export const msgpackValues: Framing = {
  decoder: (onMessage, maxMessageSize) => new ValueSplitter(onMessage, maxMessageSize),
  headerSize: 0,
  writeHeader: () => undefined,
};
