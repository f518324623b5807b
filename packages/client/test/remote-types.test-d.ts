// Compile-only: `pnpm typecheck` fails if the remote object types drift. Nothing here runs.
import { withCallOptions, type RemoteClass, type RemoteObject } from '@rpc/client';
import { exportClass, returnList } from '@rpc/core';
import type { TaggedValue } from '@rpc/codec';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | void {
  return undefined;
}

class Item {
  constructor(readonly name: string) {}
  label(): string {
    return this.name;
  }
}

class Shelf {
  readonly title = 'shelf';
  count(): number {
    return 0;
  }
  async countLater(): Promise<number> {
    return 0;
  }
  first(): Item {
    return new Item('a');
  }
  all(): Item[] {
    return [];
  }
  byName(): Record<string, Item> {
    return {};
  }
  data(): { total: number; names: string[] } {
    return { total: 0, names: [] };
  }
  both() {
    return returnList(new Item('b'), 42);
  }
  put(item: Item, where: number): boolean {
    return item.name.length > where;
  }
}

declare const shelf: RemoteObject<Shelf>;

expectType<Equal<ReturnType<typeof shelf.count>, Promise<number>>>();
expectType<Equal<ReturnType<typeof shelf.countLater>, Promise<number>>>();
expectType<Equal<ReturnType<typeof shelf.first>, Promise<RemoteObject<Item>>>>();
expectType<Equal<ReturnType<typeof shelf.all>, Promise<RemoteObject<Item>[]>>>();
expectType<Equal<ReturnType<typeof shelf.byName>, Promise<{ [x: string]: RemoteObject<Item> }>>>();
expectType<Equal<ReturnType<typeof shelf.data>, Promise<{ total: number; names: string[] }>>>();
expectType<Equal<ReturnType<typeof shelf.both>, Promise<[RemoteObject<Item>, number]>>>();
expectType<Equal<typeof shelf.oid, string>>();
expectType<Equal<ReturnType<typeof shelf.release>, Promise<void>>>();

// Parameters take local values or remote objects of the same class.
declare const item: RemoteObject<Item>;
void shelf.put(item, 1);
void shelf.put(new Item('local'), 1);
// @ts-expect-error a number is not an Item
void shelf.put(1, 1);
// @ts-expect-error fields are not remote methods
void shelf.title;

declare const Shelves: RemoteClass<Shelf, [string], 'shared'>;
expectType<Equal<ReturnType<typeof Shelves.new>, Promise<RemoteObject<Shelf>>>>();
expectType<Equal<ReturnType<typeof Shelves.shared>, Promise<RemoteObject<Shelf>>>>();
// @ts-expect-error `new` takes the arguments given to RemoteClass
void Shelves.new(1);

// Lists as sent (Perl's list context): every method resolves with an array of every value returned.
const inList = withCallOptions(shelf, { list: true });
expectType<Equal<ReturnType<typeof inList.count>, Promise<[number]>>>();
expectType<Equal<ReturnType<typeof inList.first>, Promise<[RemoteObject<Item>]>>>();
expectType<Equal<ReturnType<typeof inList.all>, Promise<[RemoteObject<Item>[]]>>>();
expectType<Equal<ReturnType<typeof inList.both>, Promise<[RemoteObject<Item>, number]>>>();
expectType<Equal<typeof inList.oid, string>>();
// Other options keep the proxy's own type.
const bounded = withCallOptions(shelf, { deadlineMs: 100 });
expectType<Equal<ReturnType<typeof bounded.count>, Promise<number>>>();

// Values typed as the codecs deliver them, not as remote objects.
class Values {
  when(): Date {
    return new Date();
  }
  bytes(): Uint8Array {
    return new Uint8Array();
  }
  index(): Map<string, Item> {
    return new Map();
  }
  tags(): Set<string> {
    return new Set();
  }
  big(): bigint {
    return 1n;
  }
  maybe(): string | undefined {
    return undefined;
  }
  blessed(): TaggedValue {
    throw new Error('never called');
  }
}
declare const values: RemoteObject<Values>;
expectType<Equal<ReturnType<typeof values.when>, Promise<Date | string>>>();
expectType<Equal<ReturnType<typeof values.bytes>, Promise<Uint8Array | string>>>();
expectType<Equal<ReturnType<typeof values.index>, Promise<Record<string, RemoteObject<Item>>>>>();
expectType<Equal<ReturnType<typeof values.tags>, Promise<string[]>>>();
expectType<Equal<ReturnType<typeof values.big>, Promise<bigint | number>>>();
expectType<Equal<ReturnType<typeof values.maybe>, Promise<string | null>>>();
expectType<Equal<ReturnType<typeof values.blessed>, Promise<TaggedValue>>>();

// With the method map known (exportClass), proxies offer exactly the exported methods.
class Notebook {
  static #shared: Notebook | undefined;
  constructor(readonly title: string) {}
  static shared(): Notebook {
    return (Notebook.#shared ??= new Notebook('shared'));
  }
  write(line: string): number {
    return line.length;
  }
  copy(title: string): Notebook {
    return new Notebook(title);
  }
  secret(): string {
    return 'not exported';
  }
}
const notebookSpec = exportClass(Notebook, { new: '_constructor', shared: '_singleton', write: 1, copy: '_object' });
declare const Notebooks: RemoteClass<typeof notebookSpec>;
expectType<Equal<Parameters<typeof Notebooks.new>, [title: string]>>();
expectType<Equal<Parameters<typeof Notebooks.shared>, []>>();
declare const notebook: Awaited<ReturnType<typeof Notebooks.new>>;
expectType<Equal<ReturnType<typeof notebook.write>, Promise<number>>>();
expectType<Equal<ReturnType<typeof notebook.copy>, Promise<RemoteObject<Notebook>>>>();
// @ts-expect-error not exported: the server would refuse it
void notebook.secret;
// @ts-expect-error constructors take the class's arguments
void Notebooks.new(42);
// @ts-expect-error a method map naming what the class lacks does not compile
exportClass(Notebook, { new: '_constructor', missing: 1 });
// @ts-expect-error nor one giving an instance method a constructor's kind
exportClass(Notebook, { write: '_constructor' });
