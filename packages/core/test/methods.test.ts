import { findMethod, instanceMethod } from '@rpc/core';

class Base {
  inherited(): string {
    return 'base';
  }
}

class Thing extends Base {
  field = 'data';
  static make(): Thing {
    return new Thing();
  }
  get secret(): string {
    return 'never';
  }
  open(): string {
    return 'open';
  }
}

describe('findMethod', () => {
  it('finds plain methods on the prototype chain, inherited ones included', () => {
    expect(findMethod(Thing.prototype, 'open')).toBe(Thing.prototype.open);
    expect(findMethod(Thing.prototype, 'inherited')).toBe(Base.prototype.inherited);
    expect(findMethod(Thing, 'make')).toBe(Thing.make);
  });

  it('never returns what every object or function inherits, nor names that reach prototypes', () => {
    for (const name of [
      'toString',
      'valueOf',
      'hasOwnProperty',
      '__defineGetter__',
      '__lookupGetter__',
      'isPrototypeOf',
    ]) {
      expect(findMethod(Thing.prototype, name)).toBeUndefined();
    }
    for (const name of ['call', 'apply', 'bind', 'toString']) expect(findMethod(Thing, name)).toBeUndefined();
    for (const name of ['constructor', '__proto__', 'prototype', 'caller', 'callee', 'arguments', 'then']) {
      expect(findMethod(Thing.prototype, name)).toBeUndefined();
      expect(findMethod(Thing, name)).toBeUndefined();
    }
  });

  it('never runs a getter and ignores data that is not a function', () => {
    let ran = false;
    const proto = Object.defineProperty({}, 'sneaky', {
      get() {
        ran = true;
        return () => 'x';
      },
    });
    expect(findMethod(proto, 'sneaky')).toBeUndefined();
    expect(ran).toBe(false);
    expect(findMethod(Thing.prototype, 'secret')).toBeUndefined();
    expect(findMethod({ notAFunction: 42 }, 'notAFunction')).toBeUndefined();
  });
});

describe('instanceMethod', () => {
  it('looks at the class, never at properties of the object itself', () => {
    const thing = new Thing();
    (thing as unknown as Record<string, unknown>).own = () => 'planted';
    expect(instanceMethod(thing, 'open')).toBe(Thing.prototype.open);
    expect(instanceMethod(thing, 'own')).toBeUndefined();
    expect(instanceMethod(thing, 'field')).toBeUndefined();
  });
});
