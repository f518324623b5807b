// What a fuzzer checks of a decoder besides its errors: that it returned plain data, and left the prototypes alone.

/**
 * Describes the first object in `value` that is not plain data (a class instance, an accessor, a function), or
 * undefined. Uint8Array and Date are data; so is an instance of `tagged` (TaggedValue) with a string class name.
 */
export function foreignObject(
  value: unknown,
  tagged: abstract new (...args: never[]) => { readonly className: unknown; readonly values: readonly unknown[] },
): string | undefined {
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'function' || typeof item === 'symbol') return `a ${typeof item}`;
    if (item === null || typeof item !== 'object' || seen.has(item)) continue;
    seen.add(item);
    if (item instanceof Uint8Array || item instanceof Date) continue;
    if (item instanceof tagged) {
      if (typeof item.className !== 'string') return 'a TaggedValue without a string class name';
      for (const inner of item.values) stack.push(inner);
      continue;
    }
    const proto: unknown = Object.getPrototypeOf(item);
    if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) {
      return `an object with prototype ${String((proto as { constructor?: { name?: string } }).constructor?.name)}`;
    }
    for (const key of Reflect.ownKeys(item)) {
      const descriptor = Object.getOwnPropertyDescriptor(item, key);
      if (descriptor?.get !== undefined || descriptor?.set !== undefined) return `an accessor property ${String(key)}`;
      stack.push(descriptor?.value);
    }
  }
  return undefined;
}

const prototypeKeys = (proto: object): string => Reflect.ownKeys(proto).map(String).sort().join(',');
const objectKeys = prototypeKeys(Object.prototype);
const arrayKeys = prototypeKeys(Array.prototype);

/** What changed in Object.prototype or Array.prototype since this module loaded, or undefined. */
export function prototypeChange(): string | undefined {
  if (({} as Record<string, unknown>).polluted !== undefined) return 'polluted Object.prototype.polluted';
  if (prototypeKeys(Object.prototype) !== objectKeys) return 'added keys to Object.prototype';
  if (prototypeKeys(Array.prototype) !== arrayKeys) return 'added keys to Array.prototype';
  return undefined;
}
