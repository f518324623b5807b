import { newObjectId, ObjectTable } from '@rpc/core';

describe('ObjectTable', () => {
  it('gives each object one id in the Class=... form, and the same id every time', () => {
    const table = new ObjectTable();
    const a = {};
    const id = table.add(a, 'My::Class');
    expect(id).toMatch(/^My::Class=OBJ\([0-9a-f]{32}\)$/);
    expect(table.add(a, 'My::Class')).toBe(id);
    expect(table.get(id)).toEqual({ object: a, className: 'My::Class' });
    expect(table.size).toBe(1);
  });

  it('forgets an id on release; the object gets a new id if it comes back', () => {
    const table = new ObjectTable();
    const a = {};
    const id = table.add(a, 'C');
    expect(table.release(id)).toBe(true);
    expect(table.release(id)).toBe(false);
    expect(table.get(id)).toBeUndefined();
    expect(table.add(a, 'C')).not.toBe(id);
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
