// What `pnpm fuzz` feeds hostile bytes to: the four decoders, the msg FrameDecoder and the MessagePack-RPC
// ValueSplitter. Each target makes its inputs and says which errors it may throw: its own protocol or codec errors.
import { type Codec, isCodecError, ProtocolError, RpcError, TaggedValue } from '@rpc/codec';
import { cborCodec } from '@rpc/codec-cbor';
import { jsonCodec } from '@rpc/codec-json';
import { msgpackCodec } from '@rpc/codec-msgpack';
import { serealCodec } from '@rpc/codec-sereal';
import { ValueSplitter } from '@rpc/mprpc';
import { encodeFrame, FrameDecoder } from '@rpc/msg';
import { foreignObject, FUZZ_FORMATS, type FuzzFormat, mutate, randomInput, randomValue, Rng } from '@rpc/testkit';

export interface Target {
  readonly name: string;
  /** One hostile input: random bytes, or a valid one mutated. */
  input(rng: Rng): Uint8Array;
  /**
   * Runs `input` through; throws what the code under test threw, returns what else went wrong (a value that is not
   * plain data, bytes lost), or undefined. `seed` decides chunk sizes and the codec variant, so a rerun is the same.
   */
  run(input: Uint8Array, seed: number): string | undefined;
  /** Whether `error` is one this target may throw. */
  allowed(error: unknown): boolean;
}

const tagged = (className: string, values: unknown[]) => new TaggedValue(className, values);
const SAMPLES = 200;

/** Inputs: half random bytes, half mutations of `samples`. */
function inputs(format: FuzzFormat, samples: Uint8Array[]): (rng: Rng) => Uint8Array {
  return (rng) => (rng.int(2) === 0 ? randomInput(rng, format) : mutate(rng, rng.pick(samples), format));
}

/** Valid encodings of random values (those the codec can encode). */
function encodings(codec: Codec, rng: Rng, count = SAMPLES): Uint8Array[] {
  const out: Uint8Array[] = [];
  while (out.length < count) {
    try {
      out.push(codec.encode(randomValue(rng, tagged)));
    } catch {
      // a value this format cannot carry (it cannot happen today, and does not matter here)
    }
  }
  return out;
}

/**
 * A decoder, half the time with a heap limit so small (4 KiB) that every input is priced before it is decoded, so
 * the pre-scans see hostile bytes too.
 */
function decoderTarget(make: (options?: { maxHeapBytes: number }) => Codec, format: FuzzFormat, seed: number): Target {
  const codec = make();
  const tight = make({ maxHeapBytes: 4096 });
  return {
    name: codec.name,
    input: inputs(format, encodings(codec, new Rng(seed))),
    run(input, runSeed) {
      const value = (runSeed % 2 === 0 ? codec : tight).decode(input);
      const foreign = foreignObject(value, TaggedValue);
      return foreign === undefined ? undefined : `returned ${foreign}`;
    },
    allowed: (error) => isCodecError(error) && (error.data as { format?: string }).format === codec.name,
  };
}

/** Feeds `input` to `push` in chunks of 1 to 64 bytes. */
function inChunks(input: Uint8Array, seed: number, push: (chunk: Uint8Array) => void): void {
  const rng = new Rng(seed);
  for (let at = 0; at < input.length; ) {
    const size = 1 + rng.int(64);
    push(input.subarray(at, at + size));
    at += size;
  }
}

const isProtocolError = (error: unknown, codes: readonly string[]): boolean =>
  error instanceof ProtocolError && error instanceof RpcError && codes.includes(error.code);

/** Frame headers that declare nothing, the limit, one byte past it and 4 GiB. */
const FRAME_FORMAT: FuzzFormat = {
  tokens: [
    [0, 0, 0, 0],
    [0x01, 0, 0, 0],
    [0x01, 0, 0, 1],
    [0xff, 0xff, 0xff, 0xff],
    [0, 0, 0, 5],
  ],
};

/** The msg FrameDecoder on streams of frames: every byte is a header, a payload, or held for the next chunk. */
function frameTarget(seed: number): Target {
  const rng = new Rng(seed);
  const streams = Array.from({ length: SAMPLES }, () => {
    const frames = Array.from({ length: 1 + rng.int(5) }, () => encodeFrame(new Uint8Array(rng.bytes(rng.int(300)))));
    return new Uint8Array(Buffer.concat(frames));
  });
  return {
    name: 'FrameDecoder',
    input: inputs(FRAME_FORMAT, streams),
    run(input, runSeed) {
      let framed = 0;
      const decoder = new FrameDecoder((payload) => {
        framed += 4 + payload.length;
      });
      inChunks(input, runSeed, (chunk) => decoder.push(chunk));
      const held = decoder.bufferedBytes;
      return framed + held === input.length ? undefined : `framed ${framed} and held ${held} of ${input.length} bytes`;
    },
    allowed: (error) => isProtocolError(error, ['MSG_FRAME_TOO_LARGE']),
  };
}

/** The MessagePack-RPC ValueSplitter on streams of values, each value it hands out then decoded. */
function splitterTarget(seed: number): Target {
  const codec = msgpackCodec({ extensions: [0, 1, 2] });
  const rng = new Rng(seed);
  const values = encodings(codec, rng, SAMPLES * 2);
  const streams = Array.from({ length: SAMPLES }, () => {
    const parts = Array.from({ length: 1 + rng.int(5) }, () => rng.pick(values));
    return new Uint8Array(Buffer.concat(parts));
  });
  return {
    name: 'ValueSplitter',
    input: inputs(FUZZ_FORMATS.MSGP, streams),
    run(input, runSeed) {
      const split: Uint8Array[] = [];
      const splitter = new ValueSplitter((value) => split.push(value.slice()), 1 << 20);
      inChunks(input, runSeed, (chunk) => splitter.push(chunk));
      let total = 0;
      for (const value of split) {
        total += value.length;
        try {
          codec.decode(value);
        } catch (error) {
          if (!isCodecError(error)) throw error;
        }
      }
      const held = splitter.bufferedBytes;
      return total + held === input.length ? undefined : `split ${total} and held ${held} of ${input.length} bytes`;
    },
    allowed: (error) => isProtocolError(error, ['MPRPC_MALFORMED', 'MPRPC_MESSAGE_TOO_LARGE']),
  };
}

/** Every target, each with its own stream of inputs from `seed`. */
export function targets(seed: number): Target[] {
  const salt = (i: number) => (seed + i * 0x9e3779b9) >>> 0;
  return [
    decoderTarget(jsonCodec, FUZZ_FORMATS.JSON, salt(0)),
    decoderTarget(cborCodec, FUZZ_FORMATS.CBOR, salt(1)),
    decoderTarget(msgpackCodec, FUZZ_FORMATS.MSGP, salt(2)),
    decoderTarget(serealCodec, FUZZ_FORMATS.SERL, salt(3)),
    frameTarget(salt(4)),
    splitterTarget(salt(5)),
  ];
}
