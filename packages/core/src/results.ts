/** The key of a {@link ReturnList}'s values: a symbol, so that no method's ordinary result can look like one. */
const LIST = Symbol('rpc.list');

/**
 * Several return values, as a Perl method returns a list: `rc` carries each one, and `@rpc` clients get them as an
 * array.
 */
export interface ReturnList<T extends readonly unknown[] = readonly unknown[]> {
  /** The values, in order. */
  readonly [LIST]: T;
}

/** Return this from a method to answer with several values (Perl list context); anything else is one value. */
export function returnList<T extends unknown[]>(...values: T): ReturnList<T> {
  return { [LIST]: values };
}

/** The `rc` list for what a method returned. */
export function rcOf(result: unknown): unknown[] {
  if (result !== null && typeof result === 'object' && LIST in result) return [...(result as ReturnList)[LIST]];
  return [result];
}
