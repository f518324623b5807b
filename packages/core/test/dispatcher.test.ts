import { TaggedValue } from '@rpc/codec';
import { ClassRegistry, Dispatcher, ObjectTable, readRequest, returnList, type Answer, type Session } from '@rpc/core';

class Box {
  constructor(public value: unknown = null) {}
  get(): unknown {
    return this.value;
  }
  pair(): unknown {
    return returnList(this.value, 'second');
  }
  async later(): Promise<unknown> {
    await new Promise((r) => setTimeout(r, 1));
    return this.value;
  }
  fail(): never {
    throw new Error('boom');
  }
  async failLater(): Promise<never> {
    throw new Error('later boom');
  }
  take(other: Box): unknown {
    return other.value;
  }
  children(): unknown {
    return returnList([new Box(1), new Box(2)], { a: new Box(3), n: 4 }, null);
  }
  /** The same object twice in a list, once in a map, and itself. */
  twins(): unknown {
    return returnList([this, this], { me: this }, this);
  }
  static #one: Box | undefined;
  static one(): Box {
    return (Box.#one ??= new Box('one'));
  }
}

const classes = new ClassRegistry({
  Box: {
    impl: Box,
    methods: {
      new: '_constructor',
      one: '_singleton',
      get: 1,
      pair: 1,
      later: 1,
      fail: 1,
      failLater: 1,
      take: 1,
      children: '_object',
      twins: '_object',
    },
  },
});

function session(authorized = true, allows?: Session['allows']): Session {
  return {
    objects: new ObjectTable(),
    authorized,
    authenticate: () => ({ ok: 1 }),
    ...(allows ? { allows } : {}),
    features: { ids: true },
  };
}

describe('Dispatcher', () => {
  const dispatcher = new Dispatcher(classes);

  it('answers synchronous methods synchronously and async ones with a promise', async () => {
    const s = session();
    const created = dispatcher.dispatch(readRequest({ cmd: 'new', method: 'Box::new', params: ['x'] }), s) as Answer;
    expect(created).toMatchObject({ ok: 1, oid: expect.stringMatching(/^Box=OBJ\(/) });
    expect(dispatcher.dispatch(readRequest({ cmd: 'exec', oid: created.oid, method: 'get', params: [] }), s)).toEqual({
      ok: 1,
      rc: ['x'],
    });
    expect(dispatcher.dispatch(readRequest({ cmd: 'exec', oid: created.oid, method: 'pair', params: [] }), s)).toEqual({
      ok: 1,
      rc: ['x', 'second'],
    });
    const later = dispatcher.dispatch(readRequest({ cmd: 'exec', oid: created.oid, method: 'later', params: [] }), s);
    expect(later).toBeInstanceOf(Promise);
    expect(await later).toEqual({ ok: 1, rc: ['x'] });
  });

  it('turns exceptions, sync or async, into Event::RPC failures', async () => {
    const s = session();
    const { oid } = dispatcher.dispatch(readRequest({ cmd: 'new', method: 'Box::new', params: [] }), s) as Answer;
    expect(dispatcher.dispatch(readRequest({ cmd: 'exec', oid, method: 'fail', params: [] }), s)).toEqual({
      ok: 0,
      msg: 'boom',
    });
    expect(await dispatcher.dispatch(readRequest({ cmd: 'exec', oid, method: 'failLater', params: [] }), s)).toEqual({
      ok: 0,
      msg: 'later boom',
    });
  });

  it('swaps objects of this connection in as parameters, and refuses others', () => {
    const s = session();
    const { oid: a } = dispatcher.dispatch(readRequest({ cmd: 'new', method: 'Box::new', params: ['A'] }), s) as Answer;
    const { oid: b } = dispatcher.dispatch(readRequest({ cmd: 'new', method: 'Box::new', params: ['B'] }), s) as Answer;
    expect(
      dispatcher.dispatch(
        readRequest({ cmd: 'exec', oid: a, method: 'take', params: [new TaggedValue('Box', [['SCALAR', b]])] }),
        s,
      ),
    ).toEqual({ ok: 1, rc: ['B'] });
    const other = session();
    const { oid: foreign } = dispatcher.dispatch(
      readRequest({ cmd: 'new', method: 'Box::new', params: ['F'] }),
      other,
    ) as Answer;
    expect(
      dispatcher.dispatch(
        readRequest({ cmd: 'exec', oid: a, method: 'take', params: [new TaggedValue('Box', [['SCALAR', foreign]])] }),
        s,
      ),
    ).toEqual({
      ok: 0,
      msg: `Illegal access to unknown object with oid=${String(foreign)}`,
    });
  });

  it('exports what an object returner gives: objects, one level into lists and maps', () => {
    const s = session();
    const { oid } = dispatcher.dispatch(readRequest({ cmd: 'new', method: 'Box::new', params: [] }), s) as Answer;
    const answer = dispatcher.dispatch(readRequest({ cmd: 'exec', oid, method: 'children', params: [] }), s) as Answer;
    const [list, map, nothing] = answer.rc as [string[], Record<string, unknown>, null];
    expect(list).toEqual([expect.stringMatching(/^Box=OBJ/), expect.stringMatching(/^Box=OBJ/)]);
    expect(map).toEqual({ a: expect.stringMatching(/^Box=OBJ/), n: 4 });
    expect(nothing).toBeNull();
    expect(s.objects.size).toBe(4);
  });

  it('counts every hand-over and frees the object only when each was released; a singleton stays', () => {
    const s = session();
    const { oid } = dispatcher.dispatch(readRequest({ cmd: 'new', method: 'Box::new', params: ['me'] }), s) as Answer;
    const twins = dispatcher.dispatch(readRequest({ cmd: 'exec', oid, method: 'twins', params: [] }), s) as Answer;
    expect(twins.rc).toEqual([[oid, oid], { me: oid }, oid]);
    expect(s.objects.refs(String(oid))).toBe(5);
    for (let i = 0; i < 4; i++) dispatcher.dispatch(readRequest({ cmd: 'client_destroy', oid }), s);
    expect(dispatcher.dispatch(readRequest({ cmd: 'exec', oid, method: 'get', params: [] }), s)).toEqual({
      ok: 1,
      rc: ['me'],
    });
    dispatcher.dispatch(readRequest({ cmd: 'client_destroy', oid }), s);
    expect(dispatcher.dispatch(readRequest({ cmd: 'exec', oid, method: 'get', params: [] }), s)).toEqual({
      ok: 0,
      msg: `Illegal access to unknown object with oid=${String(oid)}`,
    });

    const { oid: one } = dispatcher.dispatch(readRequest({ cmd: 'new', method: 'Box::one', params: [] }), s) as Answer;
    expect((dispatcher.dispatch(readRequest({ cmd: 'new', method: 'Box::one', params: [] }), s) as Answer).oid).toBe(
      one,
    );
    for (let i = 0; i < 3; i++)
      expect(dispatcher.dispatch(readRequest({ cmd: 'client_destroy', oid: one }), s)).toEqual({ ok: 1 });
    expect(dispatcher.dispatch(readRequest({ cmd: 'exec', oid: one, method: 'get', params: [] }), s)).toEqual({
      ok: 1,
      rc: ['one'],
    });
  });

  it("refuses what Event::RPC refuses, with Event::RPC's texts", () => {
    const s = session();
    const { oid } = dispatcher.dispatch(readRequest({ cmd: 'new', method: 'Box::new', params: [] }), s) as Answer;
    expect(dispatcher.dispatch(readRequest({ cmd: 'exec', oid, method: 'value', params: [] }), s)).toEqual({
      ok: 0,
      msg: 'Illegal access to Box->value',
    });
    expect(
      dispatcher.dispatch(readRequest({ cmd: 'exec', oid: 'Box=HASH(0x1)', method: 'get', params: [] }), s),
    ).toEqual({ ok: 0, msg: 'Illegal access to unknown object with oid=Box=HASH(0x1)' });
    expect(dispatcher.dispatch(readRequest({ cmd: 'new', method: 'Box::get', params: [] }), s)).toEqual({
      ok: 0,
      msg: 'Illegal constructor access to Box->get',
    });
    expect(dispatcher.dispatch(readRequest({ cmd: 'class_info', class: 'Nope' }), s)).toEqual({
      ok: 0,
      msg: "Unknown class 'Nope'",
    });
    expect(dispatcher.dispatch(readRequest({ cmd: 'dance' }), s)).toEqual({
      ok: 0,
      msg: "Unknown request command 'dance'",
    });
    expect(dispatcher.dispatch(readRequest({ cmd: 'exec', oid, method: 'get', params: [] }), session(false))).toEqual({
      ok: 0,
      msg: 'Authorization required',
    });
    expect(dispatcher.dispatch({ cmd: 'new', method: 'Box::new', params: [] }, session(false))).toEqual({
      ok: 0,
      msg: 'Authorization required',
    });
  });

  it("refuses what the session's user is not granted, and shows them only what they are", () => {
    const s = session(true, (cls, method) => cls === 'Box' && ['new', 'get'].includes(method));
    const { oid } = dispatcher.dispatch(readRequest({ cmd: 'new', method: 'Box::new', params: [1] }), s) as Answer;
    expect(dispatcher.dispatch(readRequest({ cmd: 'exec', oid, method: 'get', params: [] }), s)).toEqual({
      ok: 1,
      rc: [1],
    });
    expect(dispatcher.dispatch(readRequest({ cmd: 'exec', oid, method: 'pair', params: [] }), s)).toEqual({
      ok: 0,
      msg: 'Access denied to Box->pair',
    });
    expect(dispatcher.dispatch(readRequest({ cmd: 'class_info_all' }), s)).toEqual({
      ok: 1,
      class_info_all: { Box: { new: '_constructor', get: 1 } },
    });
    const nothing = session(true, () => false);
    expect(dispatcher.dispatch(readRequest({ cmd: 'new', method: 'Box::new', params: [] }), nothing)).toEqual({
      ok: 0,
      msg: 'Access denied to Box->new',
    });
    expect(dispatcher.dispatch(readRequest({ cmd: 'classes_list' }), nothing)).toEqual({ ok: 1, classes: [] });
    expect(dispatcher.dispatch(readRequest({ cmd: 'class_info', class: 'Box' }), nothing)).toEqual({
      ok: 0,
      msg: "Unknown class 'Box'",
    });
  });

  it('tells only peers that offer the richer protocol about it', () => {
    expect(dispatcher.dispatch({ cmd: 'version' }, session())).toEqual({ ok: 1, version: '1.10', protocol: '1.00' });
    expect(dispatcher.dispatch({ cmd: 'version', rpc: { ids: true } }, session())).toEqual({
      ok: 1,
      version: '1.10',
      protocol: '1.00',
      rpc: { ids: true },
    });
  });

  it('waits for a class to be prepared (its module imported) before using it', async () => {
    const prepared: string[] = [];
    const lazy = new Dispatcher(classes, {
      prepare: (exported) => {
        prepared.push(exported.name);
        return new Promise<void>((r) => setTimeout(r, 1));
      },
    });
    const answer = lazy.dispatch({ cmd: 'new', method: 'Box::new', params: [7] }, session());
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toMatchObject({ ok: 1 });
    expect(prepared).toEqual(['Box']);
    const broken = new Dispatcher(classes, {
      prepare: () => Promise.reject(new Error("Can't load class Box: syntax error")),
    });
    expect(await broken.dispatch({ cmd: 'new', method: 'Box::new', params: [] }, session())).toEqual({
      ok: 0,
      msg: "Can't load class Box: syntax error",
    });
  });
});
