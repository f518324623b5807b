import { newObjectId, ObjectTable } from '@rpc/core';

describe('ObjectTable', () => {
  it('gives each object one id in the Class=... form, and the same id every time it is handed out', () => {
    const table = new ObjectTable();
    const a = {};
    const id = table.add(a, 'My::Class');
    expect(id).toMatch(/^My::Class=OBJ\([0-9a-f]{32}\)$/);
    expect(table.add(a, 'My::Class')).toBe(id);
    expect(table.get(id)).toMatchObject({ object: a, className: 'My::Class' });
    expect(table.size).toBe(1);
  });

  it('counts every hand-out and forgets the id only when each was released, as Event::RPC does', () => {
    const table = new ObjectTable();
    const a = {};
    const id = table.add(a, 'C');
    table.add(a, 'C');
    table.add(a, 'C');
    expect(table.refs(id)).toBe(3);
    expect(table.release(id)).toBe(true);
    expect(table.release(id)).toBe(true);
    expect(table.get(id)?.object).toBe(a); // one reference left: still there
    expect(table.release(id)).toBe(true);
    expect([table.get(id), table.refs(id), table.size]).toEqual([undefined, 0, 0]);
    expect(table.release(id)).toBe(false);
    expect(table.add(a, 'C')).not.toBe(id); // a new hand-out gets a new id
  });

  it('never forgets a pinned object (a singleton) while the connection lasts', () => {
    const table = new ObjectTable();
    const single = {};
    const id = table.add(single, 'S', true);
    expect(table.add(single, 'S', true)).toBe(id);
    for (let i = 0; i < 5; i++) expect(table.release(id)).toBe(true);
    expect(table.get(id)?.object).toBe(single);
    expect(table.add(single, 'S', true)).toBe(id);
    expect(table.refs(id)).toBe(1);
  });

  it('forgets everything at once, however many references, when the connection goes', () => {
    const table = new ObjectTable();
    const a = {};
    const id = table.add(a, 'C');
    table.add(a, 'C');
    table.add({}, 'S', true);
    table.clear();
    expect([table.size, table.get(id)]).toEqual([0, undefined]);
  });

  it('keeps tables apart: an id from one table means nothing in another', () => {
    const mine = new ObjectTable();
    const theirs = new ObjectTable();
    const id = mine.add({}, 'C');
    expect(theirs.get(id)).toBeUndefined();
    expect(theirs.release(id)).toBe(false);
    mine.clear();
    expect(mine.size).toBe(0);
  });

  it('makes ids that do not repeat', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newObjectId('C')));
    expect(ids.size).toBe(10_000);
  });
});
