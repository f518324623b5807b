import { rpcError } from './errors.js';
import { newObjectId } from './object-id.js';

/** An object a connection holds, with the exported class it was registered under. */
export interface HeldObject {
  /** The object itself, on which the connection's requests call methods. */
  readonly object: object;
  /** The name of its exported class, which decides the methods the connection may call. */
  readonly className: string;
}

interface Entry extends HeldObject {
  /** How many times the object was handed to the client and not yet released (Event::RPC's refcount). */
  refs: number;
  /** A singleton's instance: kept however often it is released, until the connection goes. */
  pinned: boolean;
}

/** Per-connection limits of an {@link ObjectTable}; going past either throws RPC_LIMIT. */
export interface ObjectLimits {
  /** Ids held at once (default: no limit). */
  readonly maxObjects?: number;
  /** References held at once, all ids together (default: no limit). */
  readonly maxReferences?: number;
}

/**
 * The objects one connection was given, by id, counted as Event::RPC::Server
 * counts them: every time an object is handed out (a constructor, an object
 * returner, the same object twice in one list) its count goes up, every
 * `client_destroy` brings it down, and the id is forgotten only at zero.
 * A singleton's instance (`pinned`) is never forgotten while the connection
 * lasts. (Event::RPC pins every object of a class that has a singleton
 * method, so its other objects are never freed; here only the instance is.) A connection
 * can use only ids from its own table; the same object keeps its id for as
 * long as it is held.
 */
export class ObjectTable {
  // Made at the first object: most connections of a busy server hold none, and each table costs hundreds of bytes.
  #byId: Map<string, Entry> | undefined;
  #idOf: WeakMap<object, string> | undefined;
  readonly #maxObjects: number;
  readonly #maxReferences: number;
  #references = 0;

  constructor(limits: ObjectLimits = {}) {
    this.#maxObjects = limits.maxObjects ?? Infinity;
    this.#maxReferences = limits.maxReferences ?? Infinity;
  }

  /**
   * Counts one more reference to `object`, registering it under `className` if it is new here; returns its id. Throws
   * RPC_LIMIT past maxObjects or maxReferences.
   */
  add(object: object, className: string, pinned = false): string {
    const byId = (this.#byId ??= new Map());
    const idOf = (this.#idOf ??= new WeakMap());
    const known = idOf.get(object);
    const entry = known === undefined ? undefined : byId.get(known);
    if (this.#references >= this.#maxReferences)
      throw rpcError(
        'RPC_LIMIT',
        `the connection holds ${this.#references} references; the limit is ${this.#maxReferences}`,
      );
    if (entry === undefined && byId.size >= this.#maxObjects)
      throw rpcError('RPC_LIMIT', `the connection holds ${byId.size} objects; the limit is ${this.#maxObjects}`);
    this.#references++;
    if (entry !== undefined) {
      entry.refs++;
      entry.pinned ||= pinned;
      return known as string;
    }
    const id = newObjectId(className);
    byId.set(id, { object, className, refs: 1, pinned });
    idOf.set(object, id);
    return id;
  }

  /** The object held under `id`, or undefined if this connection holds no such id. */
  get(id: string): HeldObject | undefined {
    return this.#byId?.get(id);
  }

  /** References the client holds to `id` (0 when it holds none). */
  refs(id: string): number {
    return this.#byId?.get(id)?.refs ?? 0;
  }

  /** Drops one reference (client_destroy); the id is forgotten at zero unless pinned. Returns whether it was held. */
  release(id: string): boolean {
    const entry = this.#byId?.get(id);
    if (entry === undefined) return false;
    if (entry.refs > 0) {
      entry.refs--;
      this.#references--;
    }
    if (entry.refs === 0 && !entry.pinned) {
      this.#byId?.delete(id);
      this.#idOf?.delete(entry.object);
    }
    return true;
  }

  /** Forgets everything, however many references it had (the connection is gone). */
  clear(): void {
    this.#byId = undefined;
    this.#idOf = undefined;
    this.#references = 0;
  }

  /** References held, all ids together. */
  get references(): number {
    return this.#references;
  }

  /** Ids held, by class. */
  byClass(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { className } of this.objects()) counts[className] = (counts[className] ?? 0) + 1;
    return counts;
  }

  /** Ids held. */
  get size(): number {
    return this.#byId?.size ?? 0;
  }

  /** The ids held, in the order they were first handed out. */
  ids(): string[] {
    return [...(this.#byId?.keys() ?? [])];
  }

  /** The objects held, each once however many references it has. */
  objects(): IterableIterator<HeldObject> {
    return (this.#byId ?? new Map<string, Entry>()).values();
  }
}
