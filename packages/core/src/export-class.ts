import type { ClassImpl, ClassSpec } from './classes.js';
import type { MethodKind } from './protocol.js';

/** Any function, whatever its parameters: what {@link MethodKeys} counts as a method. */
export type Fn = (...args: never[]) => unknown;

/** The method names of T. */
export type MethodKeys<T> = { [K in keyof T]: T[K] extends Fn ? K : never }[keyof T] & string;

/** What instances of class C are. */
export type InstanceOf<C> = C extends abstract new (...args: never[]) => infer I ? I : never;

/**
 * The kinds a method map may give `K` of class C: instance methods are simple or object returners, statics construct.
 */
export type KindsFor<C, K> =
  K extends MethodKeys<InstanceOf<C>>
    ? 1 | '_object'
    : K extends MethodKeys<C>
      ? '_constructor' | '_singleton'
      : K extends 'new'
        ? '_constructor'
        : never;

/** A method map checked against its class: every entry names a method of the right kind. */
export type MethodMapOf<C, M> = { readonly [K in keyof M]: KindsFor<C, K> };

/**
 * An exported class whose method map the compiler knows: what `exportClass` returns and `remoteClass<typeof spec>`
 * reads.
 */
export interface ExportedClassSpec<
  C extends ClassImpl = ClassImpl,
  M extends Readonly<Record<string, MethodKind>> = Readonly<Record<string, MethodKind>>,
> extends ClassSpec {
  /** The class itself (never a module reference: the compiler must see it). */
  readonly impl: C;
  readonly methods: M;
}

/**
 * A class to export, with its method map checked by the compiler (a map
 * naming a method the class lacks, or a static as an instance method, does
 * not compile). Share the result with the client as a type, and its
 * proxies offer exactly the exported methods:
 *
 *     export const notebook = exportClass(Notebook, { new: '_constructor', write: 1 });
 *     new Server({ classes: { Notebook: notebook } });
 *     client.remoteClass<typeof notebook>('Notebook');   // import type { notebook }
 */
export function exportClass<C extends ClassImpl, const M extends Readonly<Record<string, MethodKind>>>(
  impl: C,
  methods: M & MethodMapOf<C, M>,
): ExportedClassSpec<C, M> {
  return { impl, methods };
}
