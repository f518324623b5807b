import { PERL_OBJECT_TAG, TaggedValue } from '@rpc/codec';
import { addExtension, Packr, Unpackr } from 'msgpackr';

/**
 * A MessagePack extension value kept as it came: its type and its bytes.
 * neovim's Buffer, Window and Tabpage handles are extensions 0, 1 and 2, for
 * example; encoding one gives the same bytes back.
 */
export class MsgpackExtension {
  constructor(
    /** The extension type: 0 to 127, the range MessagePack leaves to applications. */
    readonly type: number,
    /** The extension's payload bytes. */
    readonly data: Uint8Array,
  ) {}
}

/**
 * A long string of a large message with its UTF-8 length, written at that length: msgpackr wants room for three
 * bytes per character, a buffer three times too large. Only ever made inside our own encode (in Node).
 */
export class LargeText {
  constructor(
    readonly text: string,
    readonly length: number,
  ) {}
}

/**
 * An extension-26 payload, still undecoded: it is read after the message (see {@link readTagged}), since msgpackr
 * copies the whole input for every unpack started inside another, which made a message of n tagged values take
 * time in n².
 */
export class RawTagged {
  constructor(readonly payload: Uint8Array) {}
}

/**
 * Types msgpackr claims for itself (66 bundled strings, 98, 101 errors, 105, 112, 114 records, 115 sets, 116 typed
 * arrays, 120) and ours (26).
 */
const RESERVED = new Set([PERL_OBJECT_TAG, 0x42, 0x62, 0x65, 0x69, 0x70, 0x72, 0x73, 0x74, 0x78]);

/** The extension type our MsgpackExtension writer registers under; it writes each value's own type. */
const WRITER_TYPE = 127;

/** Whether `type` can be kept as a MsgpackExtension. */
export function isKeepableExtension(type: number): boolean {
  return Number.isInteger(type) && type >= 0 && type <= 127 && !RESERVED.has(type);
}

/** Every type that can be kept: what applications are free to use. */
export const KEEPABLE_EXTENSIONS: readonly number[] = Array.from({ length: 128 }, (_, type) => type).filter(
  isKeepableExtension,
);

export const WRITE_OPTIONS = {
  useRecords: false,
  encodeUndefinedAsNil: true,
  variableMapSize: true,
  structuredClone: false,
  moreTypes: false,
} as const;
export const READ_OPTIONS = {
  useRecords: false,
  mapsAsObjects: false,
  int64AsType: 'bigint',
  structuredClone: false,
  moreTypes: false,
} as const;

/*
 * msgpackr keeps extensions in one table per process. Ours are installed
 * when the first codec is made (never at import), and act only while an
 * @rpc codec decodes: for every other msgpackr user an extension decodes as
 * msgpackr would without us (type 0 as undefined, notepack's convention;
 * any other type refused as unknown). Writers are registered by class, and
 * only our own classes (TaggedValue, MsgpackExtension) use them.
 */

/** While an @rpc codec decodes: the extension types it keeps. */
let decoding: { readonly keep: ReadonlySet<number> } | undefined;
const installed = new Set<number>();

function theirs(type: number): undefined {
  if (type === 0) return undefined;
  throw new Error(`Unknown extension ${type}`);
}

function installDecoder(type: number, read: (data: Uint8Array) => unknown): void {
  if (installed.has(type)) return;
  installed.add(type);
  addExtension({ type, unpack: (data: Uint8Array) => (decoding === undefined ? theirs(type) : read(data)) } as never);
}

function extensionHeader(type: number, length: number): number[] {
  const fixed = [1, 2, 4, 8, 16].indexOf(length);
  if (fixed >= 0) return [0xd4 + fixed, type];
  if (length < 0x100) return [0xc7, length, type];
  if (length < 0x10000) return [0xc8, length >>> 8, length & 0xff, type];
  return [0xc9, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff, type];
}

let writers = false;

/** Registers our writers and the extension-26 reader, once, and a reader for each type in `keep`. */
export function installExtensions(keep: Iterable<number>): void {
  if (!writers) {
    writers = true;
    // Extension 26 carries [className, ...values] as a MessagePack array, so any MessagePack reader can open it.
    const inner = new Packr(WRITE_OPTIONS);
    addExtension({
      Class: TaggedValue,
      type: PERL_OBJECT_TAG,
      pack: (value: TaggedValue) => inner.pack([value.className, ...value.values]),
    });
    installDecoder(PERL_OBJECT_TAG, (payload) => new RawTagged(payload));
    // msgpackr lets an extension write its own bytes, so one class serves every type.
    addExtension({
      Class: MsgpackExtension,
      type: WRITER_TYPE,
      pack(value: MsgpackExtension, allocate: (size: number) => { target: Uint8Array; position: number }) {
        const header = extensionHeader(value.type, value.data.length);
        const { target, position } = allocate(header.length + value.data.length);
        target.set(header, position);
        target.set(value.data, position + header.length);
        return undefined;
      },
    } as never);
    // A plain str 32, which is how msgpackr writes strings of 64K characters and more.
    addExtension({
      Class: LargeText,
      type: WRITER_TYPE,
      pack(value: LargeText, allocate: (size: number) => { target: Uint8Array; position: number }) {
        const { length } = value;
        const { target, position } = allocate(5 + length);
        target.set([0xdb, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff], position);
        const at = position + 5;
        const buffer = target as Uint8Array & { write?(text: string, offset: number, length: number): number };
        if (buffer.write !== undefined) buffer.write(value.text, at, length);
        else new TextEncoder().encodeInto(value.text, target.subarray(at, at + length));
        return undefined;
      },
    } as never);
    installed.delete(WRITER_TYPE); // registering the writers set a reader for their type too: replace it with ours
    installDecoder(WRITER_TYPE, (data) => kept(WRITER_TYPE, data));
  }
  for (const type of keep) installDecoder(type, (data) => kept(type, data));
}

let innerReader: Unpackr | undefined;

/** The MessagePack value in an extension-26 payload, read once the message around it has been (never inside it). */
export function readTagged(raw: RawTagged): unknown {
  innerReader ??= new Unpackr(READ_OPTIONS);
  return innerReader.unpack(raw.payload);
}

function kept(type: number, data: Uint8Array): unknown {
  // A copy: the input is not ours to keep.
  return decoding?.keep.has(type) ? new MsgpackExtension(type, Uint8Array.prototype.slice.call(data)) : theirs(type);
}

/** Runs `decode` as an @rpc codec's decode, with the extension types in `keep` kept as MsgpackExtension values. */
export function decodingWith<T>(keep: ReadonlySet<number>, decode: () => T): T {
  const outer = decoding;
  decoding = { keep };
  try {
    return decode();
  } finally {
    decoding = outer;
  }
}
