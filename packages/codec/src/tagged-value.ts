/**
 * A value tagged with a class name: a Perl blessed reference as JSON::XS
 * writes it (`("Class")[...]`), as CBOR tag 26 (`[Class, ...]`), and as the
 * MessagePack extension of the same number. `values` are what the class's
 * FREEZE returned; Event::RPC sends a remote object as
 * `new TaggedValue('Class', [['SCALAR', oid]])`.
 */
export class TaggedValue {
  /** The Perl class the value is blessed into. */
  readonly className: string;
  /** What the class's FREEZE returned, to be handed to its THAW. */
  readonly values: readonly unknown[];

  constructor(className: string, values: readonly unknown[]) {
    this.className = className;
    this.values = values;
  }
}

/** CBOR tag and MessagePack extension type used for tagged values (CBOR::XS's "Perl object" tag). */
export const PERL_OBJECT_TAG = 26;
