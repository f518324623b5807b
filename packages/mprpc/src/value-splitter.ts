import { mprpcError } from './errors.js';
import type { MessageDecoder } from '@rpc/msg';

// What each first byte announces: a payload of fixed size, or a length field of `size` bytes followed by that many
// payload bytes (Bytes; +1 type byte for ext), values (Items) or key+value pairs (Pairs). fixmap and fixarray
// carry their count in the marker itself.
enum Kind {
  Fixed,
  Bytes,
  Items,
  Pairs,
}

interface Marker {
  readonly kind: Kind;
  /** Fixed: the payload's bytes. Bytes, Items, Pairs: the bytes of the length field that follows. */
  readonly size: number;
  /** fixmap, fixarray: the count the marker holds (no length field follows). */
  readonly count?: number;
  readonly ext?: boolean;
}

/** Where the splitter is: at a value's first byte, inside a header's length field, or skipping a payload. */
type State = 'marker' | 'length' | 'payload';

const MARKERS: Array<Marker | undefined> = new Array(256);
for (let b = 0; b < 256; b++) {
  if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) MARKERS[b] = { kind: Kind.Fixed, size: 0 };
  else if (b <= 0x8f)
    MARKERS[b] = { kind: Kind.Pairs, size: 0, count: b & 0x0f }; // fixmap
  else if (b <= 0x9f)
    MARKERS[b] = { kind: Kind.Items, size: 0, count: b & 0x0f }; // fixarray
  else if (b <= 0xbf) MARKERS[b] = { kind: Kind.Fixed, size: b & 0x1f }; // fixstr
}
const set = (b: number, marker: Marker): void => void (MARKERS[b] = marker);
set(0xc4, { kind: Kind.Bytes, size: 1 });
set(0xc5, { kind: Kind.Bytes, size: 2 });
set(0xc6, { kind: Kind.Bytes, size: 4 });
set(0xc7, { kind: Kind.Bytes, size: 1, ext: true });
set(0xc8, { kind: Kind.Bytes, size: 2, ext: true });
set(0xc9, { kind: Kind.Bytes, size: 4, ext: true });
for (const [b, size] of [
  [0xca, 4],
  [0xcb, 8],
  [0xcc, 1],
  [0xcd, 2],
  [0xce, 4],
  [0xcf, 8],
  [0xd0, 1],
  [0xd1, 2],
  [0xd2, 4],
  [0xd3, 8],
  [0xd4, 2],
  [0xd5, 3],
  [0xd6, 5],
  [0xd7, 9],
  [0xd8, 17],
] as const) {
  set(b, { kind: Kind.Fixed, size });
}
set(0xd9, { kind: Kind.Bytes, size: 1 });
set(0xda, { kind: Kind.Bytes, size: 2 });
set(0xdb, { kind: Kind.Bytes, size: 4 });
set(0xdc, { kind: Kind.Items, size: 2 });
set(0xdd, { kind: Kind.Items, size: 4 });
set(0xde, { kind: Kind.Pairs, size: 2 });
set(0xdf, { kind: Kind.Pairs, size: 4 });

/**
 * Splits a stream of MessagePack values (MessagePack-RPC has no length
 * prefix) into one byte range per top-level value, without decoding them:
 * a state machine over headers that counts the values still owed and skips
 * payloads. Memory grows only with bytes received; a value is refused as
 * soon as it passes `maxMessageSize`, before more of it is kept. Each
 * complete value's bytes are handed out once (a view when it lay in one chunk).
 */
export class ValueSplitter implements MessageDecoder {
  maxMessageSize: number;
  readonly #onValue: (value: Uint8Array) => void;
  #state: State = 'marker';
  /** Values still owed by the current top-level value (0 between values). */
  #owed = 0;
  /** 'payload': bytes left to skip. */
  #skip = 0;
  /** 'length': the header whose length field is being read, and the field so far. */
  #marker: Marker | undefined;
  #field = 0;
  #fieldBytes = 0;
  /** The current value's bytes from earlier chunks. */
  #parts: Uint8Array[] = [];
  #size = 0;

  constructor(onValue: (value: Uint8Array) => void, maxMessageSize: number) {
    this.#onValue = onValue;
    this.maxMessageSize = maxMessageSize;
  }

  get bufferedBytes(): number {
    return this.#size;
  }

  /**
   * Takes the next bytes of the stream, handing out each value they complete; throws MPRPC_MALFORMED on a byte that
   * starts no value, MPRPC_MESSAGE_TOO_LARGE once a value passes maxMessageSize.
   */
  push(chunk: Uint8Array): void {
    let start = 0; // where the current value starts in this chunk
    let at = 0;
    const end = chunk.length;
    while (at < end) {
      switch (this.#state) {
        case 'payload': {
          const take = Math.min(this.#skip, end - at);
          this.#skip -= take;
          at += take;
          if (this.#skip === 0) this.#state = 'marker';
          break;
        }
        case 'length': {
          const marker = this.#marker as Marker;
          this.#field = this.#field * 256 + (chunk[at++] as number);
          if (++this.#fieldBytes === marker.size) this.#counted(marker, this.#field);
          break;
        }
        case 'marker': {
          if (this.#owed === 0) this.#owed = 1; // a new top-level value starts here
          const byte = chunk[at++] as number;
          const marker = MARKERS[byte];
          if (marker === undefined) {
            throw mprpcError('MPRPC_MALFORMED', `byte 0x${byte.toString(16)} starts no MessagePack value`);
          }
          this.#owed--;
          if (marker.kind === Kind.Fixed) this.#payload(marker.size);
          else if (marker.count !== undefined) this.#counted(marker, marker.count);
          else {
            this.#state = 'length';
            this.#marker = marker;
            this.#field = this.#fieldBytes = 0;
          }
        }
      }
      // The bytes the value has, plus those its headers promise (every owed value takes at least one):
      // a value declared too big is refused at its header, before its payload is kept.
      if (this.#size + (at - start) + this.#skip + this.#owed > this.maxMessageSize) {
        throw mprpcError(
          'MPRPC_MESSAGE_TOO_LARGE',
          `a MessagePack value declares more than ${this.maxMessageSize} bytes`,
        );
      }
      if (this.#owed === 0 && this.#state === 'marker') {
        this.#emit(chunk, start, at);
        start = at;
      }
    }
    if (at > start) {
      this.#parts.push(chunk.subarray(start, at));
      this.#size += at - start;
    }
  }

  /** A header is complete: its payload is to be skipped, or its values are owed. */
  #counted(marker: Marker, length: number): void {
    this.#marker = undefined;
    if (marker.kind === Kind.Bytes) this.#payload(length + (marker.ext ? 1 : 0));
    else {
      this.#state = 'marker';
      this.#owed += marker.kind === Kind.Pairs ? 2 * length : length;
    }
  }

  #payload(bytes: number): void {
    this.#skip = bytes;
    this.#state = bytes > 0 ? 'payload' : 'marker';
  }

  #emit(chunk: Uint8Array, start: number, at: number): void {
    if (this.#parts.length === 0) {
      return this.#onValue(new Uint8Array(chunk.buffer, chunk.byteOffset + start, at - start));
    }
    this.#parts.push(chunk.subarray(start, at));
    const value = new Uint8Array(this.#size + (at - start));
    let offset = 0;
    for (const part of this.#parts) {
      value.set(part, offset);
      offset += part.length;
    }
    this.#parts = [];
    this.#size = 0;
    this.#onValue(value);
  }
}
