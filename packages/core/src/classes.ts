import { rpcError } from './errors.js';
import { findMethod, type AnyFunction } from './methods.js';
import type { MethodKind } from './protocol.js';

/** A class whose instances clients may get: any constructor function. */
export type ClassImpl = abstract new (...args: never[]) => object;

/**
 * A class to be imported when first used (Event::RPC's load_modules): the
 * module's path (absolute, or relative to the working directory) or file URL
 * (`new URL('./notebook.js', import.meta.url)`), and the name of the export
 * that holds the class (default `default`).
 */
export interface ModuleRef {
  /** The module's path (absolute, or relative to the working directory) or file URL. */
  readonly module: string | URL;
  /** The name of the export holding the class; `default` when absent. */
  readonly export?: string;
}

/**
 * A class to export: its implementation (or the module to import it from) and the methods clients may call, by kind.
 */
export interface ClassSpec {
  /** The class itself, or where to import it from when a client first uses it. */
  readonly impl: ClassImpl | ModuleRef;
  /**
   * `new`/other static: `_constructor`; static returning the one instance: `_singleton`; instance methods: `1` (simple)
   * or `_object` (returns objects).
   */
  readonly methods: Readonly<Record<string, MethodKind>>;
}

function isConstructor(kind: MethodKind): boolean {
  return kind === '_constructor' || kind === '_singleton';
}

/** One exported class, checked: every listed method exists and is a plain method. */
export class ExportedClass {
  /** The name clients know the class by (`My::Notebook`). */
  readonly name: string;
  /** The methods clients may call, with their kinds: the class's method map. */
  readonly methods: ReadonlyMap<string, MethodKind>;
  /** Where the class comes from when it is loaded from a module. */
  readonly source: ModuleRef | undefined;
  #impl: ClassImpl | undefined;

  constructor(name: string, spec: ClassSpec) {
    this.name = name;
    this.methods = new Map(Object.entries(spec.methods));
    if (typeof spec.impl === 'function') this.load(spec.impl);
    else if (
      spec.impl !== null &&
      typeof spec.impl === 'object' &&
      (typeof spec.impl.module === 'string' || spec.impl.module instanceof URL)
    )
      this.source = spec.impl;
    else throw rpcError('RPC_INVALID_OPTION', `classes['${name}'].impl must be a class or { module, export? }`);
  }

  /** False for a module class that has not been imported yet. */
  get loaded(): boolean {
    return this.#impl !== undefined;
  }

  /** The class's code; throws RPC_INVALID_OPTION while a module class is not loaded yet. */
  get impl(): ClassImpl {
    if (this.#impl === undefined) throw rpcError('RPC_INVALID_OPTION', `class '${this.name}' is not loaded yet`);
    return this.#impl;
  }

  /**
   * Takes the code of the class (first load, or a reload of its module),
   * after checking that it has every method the method map lists.
   */
  load(impl: unknown): void {
    if (typeof impl !== 'function' || impl.prototype === undefined) {
      throw rpcError('RPC_INVALID_OPTION', `classes['${this.name}'].impl must be a class`);
    }
    for (const [method, kind] of this.methods) {
      if (resolve(impl as ClassImpl, method, kind) === undefined) {
        throw rpcError(
          'RPC_INVALID_OPTION',
          `classes['${this.name}'] lists '${method}' as ${String(kind)}, ` +
            `but the class has no such ${isConstructor(kind) ? 'static method' : 'method'}`,
        );
      }
    }
    this.#impl = impl as ClassImpl;
  }

  /** Calls the constructor or singleton method `method` with `params`. */
  construct(method: string, params: unknown[]): unknown {
    const impl = this.impl;
    if (method === 'new' && this.methods.get('new') === '_constructor' && findMethod(impl, 'new') === undefined) {
      return new (impl as unknown as new (...args: unknown[]) => object)(...params);
    }
    return (findMethod(impl, method) as AnyFunction).apply(impl, params);
  }

  /** class_info: what the Perl client expects (a singleton method is announced as a constructor). */
  info(): Record<string, MethodKind> {
    const info: Record<string, MethodKind> = {};
    for (const [method, kind] of this.methods) info[method] = kind === '_singleton' ? '_constructor' : kind;
    return info;
  }
}

function resolve(impl: ClassImpl, method: string, kind: MethodKind): unknown {
  if (!isConstructor(kind)) return findMethod(impl.prototype as object, method);
  return method === 'new' && kind === '_constructor' ? (findMethod(impl, 'new') ?? impl) : findMethod(impl, method);
}

/** The `classes` option, checked: the whole surface clients can reach. */
export class ClassRegistry {
  readonly #classes = new Map<string, ExportedClass>();

  constructor(classes: Readonly<Record<string, ClassSpec>>) {
    for (const [name, spec] of Object.entries(classes)) this.#classes.set(name, new ExportedClass(name, spec));
  }

  /** The exported class called `name`, or undefined when there is none. */
  get(name: string): ExportedClass | undefined {
    return this.#classes.get(name);
  }

  /** The names of all exported classes (what `classes_list` answers before access rules). */
  names(): string[] {
    return [...this.#classes.keys()];
  }

  /** All exported classes, in the order the option lists them. */
  values(): IterableIterator<ExportedClass> {
    return this.#classes.values();
  }

  /** The exported class `object` belongs to: its own class first, then the nearest exported ancestor. */
  classOf(object: object): ExportedClass | undefined {
    for (
      let proto = Object.getPrototypeOf(object) as object | null;
      proto !== null && proto !== Object.prototype;
      proto = Object.getPrototypeOf(proto) as object | null
    ) {
      for (const exported of this.#classes.values())
        if (exported.loaded && exported.impl.prototype === proto) return exported;
    }
    return undefined;
  }
}
