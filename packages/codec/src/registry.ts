import type { Codec } from './codec.js';

/** The formats a peer can speak, by wire name, in its order of preference. */
export class CodecRegistry {
  readonly #codecs = new Map<string, Codec>();

  constructor(codecs: Iterable<Codec> = []) {
    for (const codec of codecs) this.register(codec);
  }

  /** Adds `codec` (after those already there), replacing one of the same name. */
  register(codec: Codec): this {
    this.#codecs.delete(codec.name);
    this.#codecs.set(codec.name, codec);
    return this;
  }

  /** The codec called `name`, if registered. */
  get(name: string): Codec | undefined {
    return this.#codecs.get(name);
  }

  /** Wire names in preference order. */
  names(): string[] {
    return [...this.#codecs.keys()];
  }

  /** Codecs in preference order, insecure ones only if allowed. */
  usable(insecureFormatsOk: boolean): Codec[] {
    return [...this.#codecs.values()].filter((codec) => insecureFormatsOk || !codec.insecure);
  }
}
