import { newObjectId } from './object-id.js';

export interface HeldObject {
  readonly object: object;
  readonly className: string;
}

/**
 * The objects one connection was given, by id. A connection can only use
 * ids from its own table; the same object always gets the same id.
 */
export class ObjectTable {
  readonly #byId = new Map<string, HeldObject>();
  readonly #idOf = new WeakMap<object, string>();

  /** The id of `object`, registering it under `className` if it is new here. */
  add(object: object, className: string): string {
    const known = this.#idOf.get(object);
    if (known !== undefined && this.#byId.has(known)) return known;
    const id = newObjectId(className);
    this.#byId.set(id, { object, className });
    this.#idOf.set(object, id);
    return id;
  }

  get(id: string): HeldObject | undefined {
    return this.#byId.get(id);
  }

  /** Forgets `id` (client_destroy); returns whether it was held. */
  release(id: string): boolean {
    const held = this.#byId.get(id);
    if (held === undefined) return false;
    this.#byId.delete(id);
    this.#idOf.delete(held.object);
    return true;
  }

  /** Forgets everything (the connection is gone). */
  clear(): void {
    this.#byId.clear();
  }

  get size(): number {
    return this.#byId.size;
  }

  ids(): string[] {
    return [...this.#byId.keys()];
  }

  objects(): IterableIterator<HeldObject> {
    return this.#byId.values();
  }
}
