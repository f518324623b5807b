/** Names never callable through the protocol, whatever a method map says. */
const FORBIDDEN = new Set(['constructor', '__proto__', 'prototype', 'caller', 'callee', 'arguments', 'then']);

/** A method as the dispatcher calls it: any arguments, any result. */
export type AnyFunction = (...args: unknown[]) => unknown;

/**
 * The method `name` of `start`'s prototype chain, stopping before
 * Object.prototype and Function.prototype: only a data property holding a
 * function counts, so getters, fields and anything every object inherits
 * can never be reached.
 */
export function findMethod(start: object | null, name: string): AnyFunction | undefined {
  if (FORBIDDEN.has(name)) return undefined;
  for (
    let proto = start;
    proto !== null && proto !== Object.prototype && proto !== Function.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, name);
    if (descriptor !== undefined)
      return typeof descriptor.value === 'function' ? (descriptor.value as AnyFunction) : undefined;
  }
  return undefined;
}

/** An instance method: looked up on the object's class, never on the object itself. */
export function instanceMethod(object: object, name: string): AnyFunction | undefined {
  return findMethod(Object.getPrototypeOf(object) as object | null, name);
}
