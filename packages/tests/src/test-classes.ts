import type { ReturnList } from '@rpc/core';
import { returnList, Server, type ClassSpec } from '@rpc/server';

// The classes of the interop contract (perl/rpc/TestClasses.pm has the Perl twins):
// both servers export them, so the same client scenarios run against either.

/**
 * Constructor arguments as a Perl client sends them (`data => 'x'`, a flat list) or as @rpc clients do (`{ data: 'x'
 * }`).
 */
function dataOf(args: unknown[]): unknown {
  if (args.length === 1 && args[0] !== null && typeof args[0] === 'object') return (args[0] as { data?: unknown }).data;
  for (let i = 0; i + 1 < args.length; i += 2) if (args[i] === 'data') return args[i + 1];
  return undefined;
}

function active() {
  const connection = Server.instance?.activeConnection;
  if (connection === undefined) throw new Error('no active connection');
  return connection;
}

/** The same structure as TestClasses::big_data_struct in Perl. */
function bigDataStruct(): unknown {
  return {
    name: 'big data struct',
    unicode: { chinese: '你好世界', german: 'Grüße', emoji: '😀' },
    numbers: {
      zero: 0,
      one: 1,
      minus_one: -1,
      small: 42,
      negative: -42,
      byte: 255,
      word: 65535,
      two_32: 4294967296,
      two_40: 1099511627776,
      max_safe: 9007199254740991,
      min_safe: -9007199254740991,
      float: 3.25,
      neg_float: -0.5,
      tenth: 0.1,
    },
    strings: ['', '42', 'plain ascii', 'with "quotes" and \\ backslash', 'tab\tnewline\n'],
    list: [1, 'two', 3.5, null, ['nested', ['deeper', { key: 'value' }]], {}, []],
    records: [
      { id: 1, label: 'first', tags: ['a', 'b'] },
      { id: 2, label: 'zweite', tags: [] },
      { id: 3, label: '第三', tags: ['ü'] },
    ],
    undef_value: null,
  };
}

export class EventRpcTest2 {
  data: unknown;
  constructor(...args: unknown[]) {
    this.data = dataOf(args);
  }
  get_data(): unknown {
    return this.data;
  }
  set_data(value: unknown): unknown {
    return (this.data = value);
  }
  get_object_copy(): EventRpcTest2 {
    return new EventRpcTest2({ data: this.data });
  }
}

export class EventRpcTest {
  static #singleton: EventRpcTest | undefined;
  data: unknown;
  object2: EventRpcTest2 | undefined;

  constructor(...args: unknown[]) {
    this.data = dataOf(args);
  }
  static singleton(): EventRpcTest {
    return (EventRpcTest.#singleton ??= new EventRpcTest({ data: 'singleton' }));
  }
  get_data(): unknown {
    return this.data;
  }
  set_data(value: unknown): unknown {
    return (this.data = value);
  }
  hello(): string {
    return `Hello, ${String(this.data)}`;
  }
  echo(...args: unknown[]): unknown {
    return returnList(...args);
  }
  get_cid(): number {
    return active().cid;
  }
  /** Objects the connection holds with a count above zero (a singleton released by every proxy is kept, at zero). */
  get_object_cnt(): number {
    const objects = active().objects;
    return objects.ids().filter((id) => objects.refs(id) > 0).length;
  }
  /** How many times `oid` was handed to this client and not yet released. */
  get_refcount(oid: string): number {
    return active().objects.refs(String(oid));
  }
  get_big_data_struct(): unknown {
    return bigDataStruct();
  }
  clone(): EventRpcTest {
    return new EventRpcTest({ data: this.data });
  }
  new_object2(data: unknown): EventRpcTest2 {
    return (this.object2 = new EventRpcTest2({ data }));
  }
  get_object2(): EventRpcTest2 | undefined {
    return this.object2;
  }
  set_object2(object: EventRpcTest2): unknown {
    this.object2 = object;
    return object.get_data();
  }
  multi(n: number): ReturnList<[EventRpcTest[], Record<string, EventRpcTest>]> {
    const list = Array.from({ length: Number(n) }, (_, i) => new EventRpcTest({ data: `multi ${i + 1}` }));
    return returnList(list, Object.fromEntries(list.map((object, i) => [String(i + 1), object])));
  }
  get_undef_object(): undefined {
    return undefined;
  }
  big_string(n: number): string {
    return 'x'.repeat(Number(n));
  }
  die_with(message: string): never {
    throw new Error(`${message}\n`);
  }
  /** Answers `value` after `ms`, or gives up early when the caller cancels (activeSignal). */
  async wait(ms: number, value: unknown): Promise<unknown> {
    const signal = Server.instance?.activeSignal;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Number(ms));
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
    return value;
  }
}

/**
 * The contract exactly as the Perl server exports it (without the TypeScript-only `wait`), so class_info_all agrees
 * too.
 */
export function perlContractClasses(): Record<string, ClassSpec> {
  const { wait: _wait, ...methods } = testClasses.Event_RPC_Test?.methods ?? {};
  return { ...testClasses, Event_RPC_Test: { impl: EventRpcTest, methods } };
}

export const testClasses: Record<string, ClassSpec> = {
  Event_RPC_Test: {
    impl: EventRpcTest,
    methods: {
      new: '_constructor',
      singleton: '_singleton',
      get_data: 1,
      set_data: 1,
      hello: 1,
      echo: 1,
      get_cid: 1,
      get_object_cnt: 1,
      get_refcount: 1,
      get_big_data_struct: 1,
      clone: '_object',
      new_object2: '_object',
      get_object2: '_object',
      set_object2: 1,
      multi: '_object',
      get_undef_object: '_object',
      big_string: 1,
      die_with: 1,
      wait: 1,
    },
  },
  Event_RPC_Test2: {
    impl: EventRpcTest2,
    methods: { new: '_constructor', get_data: 1, set_data: 1, get_object_copy: '_object' },
  },
};
