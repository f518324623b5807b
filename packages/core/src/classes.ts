import { CallError } from './errors.js';
import { findMethod, type AnyFunction } from './methods.js';
import type { MethodKind } from './protocol.js';

/** A class to export: its implementation and the methods clients may call, by kind. */
export interface ClassSpec {
  /** The class (constructor function) whose instances clients get. */
  readonly impl: abstract new (...args: never[]) => object;
  /** `new`/other static: `_constructor`; static returning the one instance: `_singleton`; instance methods: `1` (simple) or `_object` (returns objects). */
  readonly methods: Readonly<Record<string, MethodKind>>;
}

/** One exported class, checked: every listed method exists and is a plain method. */
export class ExportedClass {
  readonly name: string;
  readonly methods: ReadonlyMap<string, MethodKind>;
  #impl: ClassSpec['impl'];

  constructor(name: string, spec: ClassSpec) {
    this.name = name;
    this.#impl = spec.impl;
    if (typeof spec.impl !== 'function' || spec.impl.prototype === undefined) {
      throw new CallError('RPC_INVALID_OPTION', `classes['${name}'].impl must be a class`);
    }
    const methods = new Map<string, MethodKind>();
    for (const [method, kind] of Object.entries(spec.methods)) {
      methods.set(method, kind);
      if (this.#resolve(method, kind) === undefined) {
        throw new CallError('RPC_INVALID_OPTION', `classes['${name}'] lists '${method}' as ${String(kind)}, but the class has no such ${kind === '_constructor' || kind === '_singleton' ? 'static method' : 'method'}`);
      }
    }
    this.methods = methods;
  }

  get impl(): ClassSpec['impl'] {
    return this.#impl;
  }

  /** Swaps in new code for the class (module reloading); live objects are moved by the caller. */
  replaceImpl(impl: ClassSpec['impl']): void {
    this.#impl = impl;
  }

  /** Calls the constructor or singleton method `method` with `params`. */
  construct(method: string, params: unknown[]): unknown {
    if (method === 'new' && this.methods.get('new') === '_constructor' && findMethod(this.#impl, 'new') === undefined) {
      return new (this.#impl as unknown as new (...args: unknown[]) => object)(...params);
    }
    return (findMethod(this.#impl, method) as AnyFunction).apply(this.#impl, params);
  }

  isInstance(object: object): boolean {
    return object instanceof (this.#impl as unknown as abstract new () => object);
  }

  /** class_info: what the Perl client expects (a singleton method is announced as a constructor). */
  info(): Record<string, MethodKind> {
    const info: Record<string, MethodKind> = {};
    for (const [method, kind] of this.methods) info[method] = kind === '_singleton' ? '_constructor' : kind;
    return info;
  }

  #resolve(method: string, kind: MethodKind): unknown {
    if (kind === '_constructor' || kind === '_singleton') {
      return method === 'new' && kind === '_constructor' ? (findMethod(this.#impl, 'new') ?? this.#impl) : findMethod(this.#impl, method);
    }
    return findMethod(this.#impl.prototype as object, method);
  }
}

/** The `classes` option, checked: the whole surface clients can reach. */
export class ClassRegistry {
  readonly #classes = new Map<string, ExportedClass>();

  constructor(classes: Readonly<Record<string, ClassSpec>>) {
    for (const [name, spec] of Object.entries(classes)) this.#classes.set(name, new ExportedClass(name, spec));
  }

  get(name: string): ExportedClass | undefined {
    return this.#classes.get(name);
  }

  names(): string[] {
    return [...this.#classes.keys()];
  }

  /** The exported class `object` belongs to: its own class first, then the nearest exported ancestor. */
  classOf(object: object): ExportedClass | undefined {
    for (let proto = Object.getPrototypeOf(object) as object | null; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
      for (const exported of this.#classes.values()) if (exported.impl.prototype === proto) return exported;
    }
    return undefined;
  }
}
