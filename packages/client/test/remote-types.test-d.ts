// Compile-only: `pnpm typecheck` fails if the remote object types drift. Nothing here runs.
import {
  target,
  withCallOptions,
  type RemoteClass,
  type RemoteObject,
  type RemotePromise,
  type RemoteStream,
  type RemoteTarget,
  type Stub,
  type Target,
} from '@rpc/client';
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
expectType<Equal<ReturnType<typeof shelf.first>, RemotePromise<RemoteObject<Item>>>>();
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
// A pipelined promise of an Item stands for it, without waiting.
void shelf.put(shelf.first(), 1);
// @ts-expect-error a promise of a number is not an Item
void shelf.put(shelf.count(), 1);
// @ts-expect-error a number is not an Item
void shelf.put(1, 1);
// @ts-expect-error fields are not remote methods
void shelf.title;

declare const Shelves: RemoteClass<Shelf, [string], 'shared'>;
expectType<Equal<ReturnType<typeof Shelves.new>, RemotePromise<RemoteObject<Shelf>>>>();
expectType<Equal<ReturnType<typeof Shelves.shared>, RemotePromise<RemoteObject<Shelf>>>>();
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
expectType<Equal<ReturnType<typeof notebook.copy>, RemotePromise<RemoteObject<Notebook>>>>();
// Pipelining: methods of the promised object are there before it arrives, and so is `using`.
expectType<Equal<ReturnType<ReturnType<typeof notebook.copy>['write']>, Promise<number>>>();
expectType<Equal<Awaited<ReturnType<typeof notebook.copy>>, RemoteObject<Notebook>>>();
void (notebook.copy('x')[Symbol.dispose] satisfies () => void);
// @ts-expect-error only the promised object's methods
void notebook.copy('x').nothing;
// @ts-expect-error a plain value's promise has no methods to pipeline
void notebook.write('x').write;
// @ts-expect-error not exported: the server would refuse it
void notebook.secret;
// @ts-expect-error constructors take the class's arguments
void Notebooks.new(42);
// @ts-expect-error a method map naming what the class lacks does not compile
exportClass(Notebook, { new: '_constructor', missing: 1 });
// @ts-expect-error nor one giving an instance method a constructor's kind
exportClass(Notebook, { write: '_constructor' });

// Capabilities: the server's class declares stubs and streams; the client passes and gets local things.
interface Listener {
  heard(event: string): number;
}
class Hub {
  static new(): Hub {
    return new Hub();
  }
  each(items: string[], fn: Stub<(item: string) => number>): Promise<number[]> {
    return Promise.all(items.map((item) => fn(item)));
  }
  watch(listener: RemoteTarget<Listener>): Promise<number> {
    return listener.heard('x');
  }
  upload(values: RemoteStream<number>): Promise<number> {
    return values.next().then((step) => step.value ?? 0);
  }
  counter(start: number): (by: number) => number {
    return (by) => start + by;
  }
  async *ticks(n: number): AsyncGenerator<number> {
    yield n;
  }
  listener(): Target<Listener> {
    return target({ heard: (event: string) => event.length });
  }
}
const hubSpec = exportClass(Hub, {
  new: '_constructor',
  each: 1,
  watch: 1,
  upload: 1,
  counter: 1,
  ticks: 1,
  listener: 1,
});
declare const hub: Awaited<ReturnType<RemoteClass<typeof hubSpec>['new']>>;
// A local function, sync or async, where the server takes a stub; a target where it takes a remote target.
void hub.each(['a'], (item: string) => item.length);
void hub.each(['a'], async (item: string) => item.length);
// @ts-expect-error the callback must answer a number
void hub.each(['a'], (item: string) => item);
void hub.watch(target({ heard: (event: string) => event.length }));
// @ts-expect-error an object not marked with target() would travel as data
void hub.watch({ heard: (event: string) => event.length });
void hub.upload(
  (async function* () {
    yield 1;
  })(),
);
declare const words: AsyncIterable<string>;
// @ts-expect-error a stream of strings is not a stream of numbers
void hub.upload(words);
// Results: a returned function is a stub, an async iterable a stream, a target a remote target.
expectType<Equal<Awaited<ReturnType<typeof hub.counter>>, Stub<(by: number) => number>>>();
expectType<Equal<ReturnType<Awaited<ReturnType<typeof hub.counter>>>, Promise<number>>>();
expectType<Equal<Awaited<ReturnType<typeof hub.ticks>>, RemoteStream<number>>>();
expectType<Equal<Awaited<ReturnType<typeof hub.listener>>, RemoteTarget<Listener>>>();
expectType<Equal<ReturnType<Awaited<ReturnType<typeof hub.listener>>['heard']>, Promise<number>>>();
