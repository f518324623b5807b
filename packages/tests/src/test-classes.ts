import { returnList, Server, type ClassSpec } from '@rpc/server';

// The classes of the interop contract (perl/rpc/TestClasses.pm has the Perl twins):
// both servers export them, so the same client scenarios run against either.

/** Constructor arguments as a Perl client sends them (`data => 'x'`, a flat list) or as @rpc clients do (`{ data: 'x' }`). */
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
  get_object_cnt(): number {
    return active().objects.size;
  }
  get_big_data_struct(): unknown {
    return { greeting: '你好世界', latin: 'Grüße', numbers: [1, 2.5, -3], nested: { list: ['a', { b: 'c' }], empty: [] } };
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
  multi(n: number): unknown {
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
  async wait(ms: number, value: unknown): Promise<unknown> {
    await new Promise((resolve) => setTimeout(resolve, Number(ms)));
    return value;
  }
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
