import { TaggedValue } from '@rpc/codec';
import { malformed } from './errors.js';

/**
 * Blessed references ⇄ TaggedValue, both ways in one place.
 *
 * Perl's Sereal::Encoder (default options: no FREEZE callbacks) writes a
 * blessed reference as OBJECT <class> <reference>. The other codecs carry the
 * same Perl objects through Event::RPC's UNIVERSAL::FREEZE, which returns
 * `[reftype, payload]`: `['SCALAR', $$obj]`, `['ARRAY', [@$obj]]` or
 * `['HASH', [%$obj]]`. We read OBJECT into exactly that shape, so a remote
 * object (`bless \$oid, 'Class'`) is `TaggedValue('Class', [['SCALAR', oid]])`
 * whichever format carried it, and write that shape back as OBJECT. Any other
 * TaggedValue is class + FREEZE values, which Sereal writes as OBJECT_FREEZE
 * <class> [values] (Perl then calls Class->THAW('Sereal', @values)).
 */

/** What an OBJECT's reference points at, as far as the reader can tell before decoding it. */
export type ReferentKind = 'SCALAR' | 'ARRAY' | 'HASH' | 'REFERENCED';

function isHash(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

/** The TaggedValue for a blessed reference the reader decoded (`at` is where the reference starts, for errors). */
export function blessed(
  className: string,
  freeze: boolean,
  kind: ReferentKind,
  value: unknown,
  at: number,
): TaggedValue {
  if (kind === 'REFERENCED') {
    // REFP to something already read: the referent's value tells its kind; blessing an object again changes its class.
    if (value instanceof TaggedValue) return new TaggedValue(className, value.values);
    kind = Array.isArray(value) ? 'ARRAY' : isHash(value) ? 'HASH' : 'SCALAR';
  }
  if (freeze) {
    if (kind !== 'ARRAY' || !Array.isArray(value))
      throw malformed('OBJECT_FREEZE must hold an array of FREEZE values', at);
    return new TaggedValue(className, value);
  }
  if (kind === 'ARRAY') return new TaggedValue(className, [['ARRAY', value]]);
  if (kind === 'HASH' && isHash(value)) {
    const pairs: unknown[] = [];
    for (const key of Object.keys(value)) pairs.push(key, value[key]);
    return new TaggedValue(className, [['HASH', pairs]]);
  }
  return new TaggedValue(className, [['SCALAR', value]]);
}

/** How the writer sends a TaggedValue: a plain blessed reference, or FREEZE values. */
export type ObjectShape =
  | { readonly kind: 'SCALAR'; readonly value: unknown }
  | { readonly kind: 'ARRAY'; readonly items: readonly unknown[] }
  | { readonly kind: 'HASH'; readonly pairs: readonly unknown[] }
  | { readonly kind: 'FREEZE'; readonly values: readonly unknown[] };

/** The Event::RPC FREEZE shapes become blessed references; anything else goes as FREEZE values. */
export function objectShape(tagged: TaggedValue): ObjectShape {
  const { values } = tagged;
  const only = values.length === 1 ? values[0] : undefined;
  if (Array.isArray(only) && only.length === 2) {
    const [type, payload] = only as [unknown, unknown];
    if (type === 'SCALAR') return { kind: 'SCALAR', value: payload };
    if (type === 'ARRAY' && Array.isArray(payload)) return { kind: 'ARRAY', items: payload };
    if (type === 'HASH' && Array.isArray(payload) && payload.length % 2 === 0) return { kind: 'HASH', pairs: payload };
  }
  return { kind: 'FREEZE', values };
}
