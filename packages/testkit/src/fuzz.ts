// Hostile input for fuzzing decoders, deterministic from a seed: random bytes that get past a format's first byte,
// mutations of valid encodings with the tokens that mean something to each format (length headers declaring huge
// sizes, tags, extensions), and random values to encode. Used by packages/tests/test/codec-fuzz.test.ts and by
// `pnpm fuzz` (packages/tests/fuzz).

/** mulberry32: small, fast, and the same sequence on every machine. */
export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  bytes(n: number): number[] {
    return Array.from({ length: n }, () => this.int(256));
  }
}

const ascii = (text: string): number[] => [...Buffer.from(text, 'latin1')];

/** What a fuzzer knows of a format. */
export interface FuzzFormat {
  /** Byte runs that mean something to it: length headers declaring huge sizes, tags, extensions, structure. */
  readonly tokens: ReadonlyArray<readonly number[]>;
  /** Bytes random inputs are drawn from half the time, so that they get past the first byte. */
  readonly alphabet?: readonly number[];
  /** A header random inputs start with half the time, so that they reach the body (Sereal). */
  readonly header?: readonly number[];
}

const FF4 = [0xff, 0xff, 0xff, 0xff];
const SEREAL_HEADER = [0x3d, 0xf3, 0x72, 0x6c, 0x05, 0x00];
/** The formats of the @rpc codecs, by wire name. */
export const FUZZ_FORMATS = {
  JSON: {
    tokens: [
      '"',
      '[',
      ']',
      '{',
      '}',
      '(',
      ')',
      '("A")[',
      ',',
      ':',
      '\\',
      '\\u0000',
      '\\ud800',
      'null',
      'true',
      '-',
      '1e999',
      '99999999999999999999',
      '"__proto__":',
      '\u00ff',
    ].map(ascii),
    alphabet: ascii('[]{}(),:"\\ 0123456789-+.eEtrufalsn\u00e9'),
  },
  CBOR: {
    tokens: [
      [0x9b, 0, 0, 0, 1, 0, 0, 0, 0], // array of 2^32 items
      [0x9b, ...FF4, ...FF4],
      [0x9a, ...FF4],
      [0xba, ...FF4], // map
      [0x5a, ...FF4], // byte string
      [0x7b, 0x7f, ...FF4, 0xff, 0xff, 0xff], // text string
      [0x9f],
      [0xbf],
      [0x5f],
      [0x7f],
      [0xff], // indefinite lengths and break
      [0xc1],
      [0xc2],
      [0xd8, 0x1a],
      [0xd8, 0x1b],
      [0xd8, 0x1c],
      [0xd8, 0x1d, 0x00],
      [0xd9, 0x01, 0x02],
      [0xd9, 0x01, 0x03],
      [0xd9, 0xe0, 0x00], // tags
      [0xa1, 0x69, ...ascii('__proto__')],
      [0xf7],
      [0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0],
    ],
  },
  MSGP: {
    tokens: [
      [0xdd, ...FF4], // array32
      [0xdf, ...FF4], // map32
      [0xdb, ...FF4], // str32
      [0xc6, ...FF4], // bin32
      [0xc9, ...FF4, 0x1a], // ext32, type 26
      [0xdc, 0xff, 0xff],
      [0xde, 0xff, 0xff],
      [0xc7, 0x03, 0x1a],
      [0xd4, 0x72, 0x00],
      [0xd4, 0x65, 0x00],
      [0xd6, 0x69, 0, 0, 0, 0],
      [0xd6, 0x70, 0, 0, 0, 0],
      [0xd4, 0x73, 0x90],
      [0xc7, 0x09, 0x74],
      [0xd6, 0xff, 0, 0, 0, 0],
      [0x81, 0xa9, ...ascii('__proto__')],
      [0xc1],
      [0xd3, ...FF4, ...FF4],
    ],
  },
  SERL: {
    tokens: [
      [0x28, 0x2b, ...FF4, 0x0f], // REFN ARRAY of 2^32-1 items
      [0x28, 0x2a, ...FF4, 0x0f], // REFN HASH
      [0x26, ...FF4, 0x0f], // BINARY
      [0x27, ...FF4, 0x0f], // STR_UTF8
      [0x20, ...FF4, ...FF4, 0xff, 0x01],
      [0x21, ...FF4, ...FF4, 0xff, 0x01], // 64-bit VARINT, ZIGZAG
      [0x29, 0x01],
      [0x29, 0x03],
      [0x2e, 0x02],
      [0x2f, 0x01],
      [0x2f, 0x03],
      [0x2d, 0x03],
      [0x33, 0x03], // REFP, ALIAS, COPY, OBJECTV(_FREEZE)
      [0xab, 0x00],
      [0xa8],
      [0xaa, 0x00],
      [0xe3, 0x61, 0x62, 0x63],
      [0xc1], // tracked items
      [0x2c, 0x61, 0x41],
      [0x32, 0x61, 0x41, 0x28, 0x2b, 0x00], // OBJECT, OBJECT_FREEZE
      [0x30],
      [0x3f],
      [0x31],
      [0x24],
      [0x38],
      [0x3c],
      [0x3e],
      [0x39],
      [0x35],
      [0x51, 0x69, ...ascii('__proto__')],
      [0x4f],
      [0x5f],
      [0x7f],
      SEREAL_HEADER,
      [0x3d, 0x73, 0x72, 0x6c, 0x01, 0x00],
      [0x3d, 0xf3, 0x72, 0x6c, 0x35, 0x00],
      [0x05, ...FF4], // headers, a suffix size
    ],
    header: SEREAL_HEADER,
  },
} as const satisfies Record<string, FuzzFormat>;

/** Up to `maxLength` random bytes: half the time from the format's alphabet, or after its header. */
export function randomInput(rng: Rng, format: FuzzFormat, maxLength = 64): Uint8Array {
  const length = rng.int(maxLength + 1);
  const { alphabet, header } = format;
  if (alphabet !== undefined && rng.int(2) === 0)
    return new Uint8Array(Array.from({ length }, () => rng.pick(alphabet)));
  if (header !== undefined && rng.int(2) === 0) return new Uint8Array([...header, ...rng.bytes(length)]);
  return new Uint8Array(rng.bytes(length));
}

const STRINGS = [
  '',
  'exec',
  'My::Class=HASH(0x55d1c0ffee)',
  'Grüße',
  '你好',
  '😀',
  'quote " back \\ nul \u0000',
  '(not a tag)',
  '[{"nested":1}]',
];
const NUMBERS = [
  0,
  1,
  -1,
  23,
  24,
  255,
  256,
  -129,
  65535,
  65536,
  2 ** 32,
  -(2 ** 31) - 1,
  Number.MAX_SAFE_INTEGER,
  0.5,
  -2.5e-8,
  1e300,
];
const KEYS = ['cmd', 'oid', 'method', 'params', '__proto__', 'constructor', 'toString', 'polluted', '', '0'];

/**
 * A value every codec can encode, from the value model of @rpc/codec's Codec; `tagged` makes its TaggedValue (this
 * package does not depend on @rpc/codec).
 */
export function randomValue(rng: Rng, tagged: (className: string, values: unknown[]) => unknown, depth = 0): unknown {
  switch (rng.int(depth >= 4 ? 7 : 10)) {
    case 0:
      return rng.pick([null, true, false]);
    case 1:
      return rng.pick(NUMBERS);
    case 2:
      return rng.next() * 2e6 - 1e6;
    case 3:
      return rng.pick(STRINGS);
    case 4:
      return new Uint8Array(rng.bytes(rng.int(40)));
    case 5:
      return rng.pick([2n ** 64n - 1n, -(2n ** 63n), new Date(1_700_000_000_000)]);
    case 6:
      return 'x'.repeat(rng.pick([23, 24, 255, 256, 1000]));
    case 7:
      return Array.from({ length: rng.int(6) }, () => randomValue(rng, tagged, depth + 1));
    case 8: {
      const out: Record<string, unknown> = {};
      // defineProperty: a '__proto__' key must be data, not a prototype change.
      for (let n = rng.int(5); n > 0; n--)
        Object.defineProperty(out, rng.pick(KEYS), {
          value: randomValue(rng, tagged, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      return out;
    }
    default:
      return tagged(
        rng.pick(['My::Class', 'Event_RPC_Test2', '']),
        Array.from({ length: rng.int(4) }, () => randomValue(rng, tagged, depth + 1)),
      );
  }
}

/** One to four mutations of `input`: bits flipped, bytes inserted, deleted or cut, the format's tokens put in. */
export function mutate(rng: Rng, input: Uint8Array, format: FuzzFormat): Uint8Array {
  const bytes = [...input];
  for (let n = 1 + rng.int(4); n > 0; n--) {
    const at = rng.int(bytes.length + 1);
    switch (rng.int(7)) {
      case 0: // flip bits
        if (at < bytes.length) bytes[at] = (bytes[at] as number) ^ (1 + rng.int(255));
        break;
      case 1: // overwrite with a high byte, which in binary formats often means "long length follows"
        if (at < bytes.length) bytes[at] = rng.pick([0xff, 0xfe, 0x9f, 0xbf, 0xdd, 0xdf, 0xdb, 0x80, 0x00]);
        break;
      case 2: // insert random bytes
        bytes.splice(at, 0, ...rng.bytes(1 + rng.int(3)));
        break;
      case 3: // delete bytes
        bytes.splice(at, 1 + rng.int(3));
        break;
      case 4: // truncate
        bytes.length = at;
        break;
      case 5: // insert a format token
        bytes.splice(at, 0, ...rng.pick(format.tokens));
        break;
      default: {
        // overwrite with a format token: a header in place of a header
        const token = rng.pick(format.tokens);
        bytes.splice(at, token.length, ...token);
      }
    }
  }
  return new Uint8Array(bytes);
}

export { foreignObject, prototypeChange } from './fuzz-checks.js';
