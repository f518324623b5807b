import { addExtension } from 'msgpackr';

/**
 * A MessagePack extension value kept as it came: its type and its bytes.
 * neovim's Buffer, Window and Tabpage handles are extensions 0, 1 and 2, for
 * example; encoding one gives the same bytes back.
 */
export class MsgpackExtension {
  constructor(
    readonly type: number,
    readonly data: Uint8Array,
  ) {}
}

/** Types msgpackr claims for itself (66 bundled strings, 98, 101 errors, 105, 112, 114 records, 115 sets, 116 typed arrays, 120) and ours (26). */
const RESERVED = new Set([26, 0x42, 0x62, 0x65, 0x69, 0x70, 0x72, 0x73, 0x74, 0x78]);

/** Whether `type` can be kept as a MsgpackExtension. */
export function isKeepableExtension(type: number): boolean {
  return Number.isInteger(type) && type >= 0 && type <= 127 && !RESERVED.has(type);
}

/** Every type that can be kept: what applications are free to use. */
export const KEEPABLE_EXTENSIONS: readonly number[] = Array.from({ length: 128 }, (_, type) => type).filter(isKeepableExtension);

/**
 * msgpackr keeps extension decoders in one table per process. Ours are
 * installed per type when a codec asks to keep it, and act only while such
 * a codec decodes; for everyone else they do what msgpackr did: type 0 reads
 * as undefined (notepack's convention), other types are unknown.
 */
let keeping: ReadonlySet<number> | undefined;
const installed = new Set<number>();

export function installExtensionDecoders(types: Iterable<number>): void {
  for (const type of types) {
    if (installed.has(type)) continue;
    installed.add(type);
    addExtension({
      type,
      unpack: (data: Uint8Array) => {
        if (keeping?.has(type)) return new MsgpackExtension(type, Uint8Array.prototype.slice.call(data)); // a copy: the input is not ours to keep
        if (type === 0) return undefined;
        throw new Error(`Unknown extension type ${type}`);
      },
    } as never);
  }
}

/** Runs `decode` with the extension types in `types` kept as MsgpackExtension values. */
export function keepingExtensions<T>(types: ReadonlySet<number> | undefined, decode: () => T): T {
  const outer = keeping;
  keeping = types;
  try {
    return decode();
  } finally {
    keeping = outer;
  }
}

function extensionHeader(type: number, length: number): number[] {
  const fixed = [1, 2, 4, 8, 16].indexOf(length);
  if (fixed >= 0) return [0xd4 + fixed, type];
  if (length < 0x100) return [0xc7, length, type];
  if (length < 0x10000) return [0xc8, length >>> 8, length & 0xff, type];
  return [0xc9, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff, type];
}

// Encoding: msgpackr lets an extension write its own bytes, so one class serves every type.
addExtension({
  Class: MsgpackExtension,
  type: 127,
  pack(value: MsgpackExtension, allocate: (size: number) => { target: Uint8Array; position: number }) {
    const header = extensionHeader(value.type, value.data.length);
    const { target, position } = allocate(header.length + value.data.length);
    target.set(header, position);
    target.set(value.data, position + header.length);
    return undefined;
  },
} as never);
installExtensionDecoders([127]);
