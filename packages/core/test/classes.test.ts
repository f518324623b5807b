import { ClassRegistry, ExportedClass, type ClassSpec } from '@rpc/core';

class Shape {
  static count = 0;
  constructor(readonly sides: number) {}
  static triangle(): Shape {
    return new Shape(3);
  }
  area(): number {
    return 0;
  }
}
class Square extends Shape {
  constructor() {
    super(4);
  }
}
class Unrelated {}

const spec = (methods: ClassSpec['methods'], impl: ClassSpec['impl'] = Shape): ClassSpec => ({ impl, methods });

describe('ExportedClass', () => {
  it('checks the method map against the class when it is loaded', () => {
    expect(
      () => new ExportedClass('Shape', spec({ new: '_constructor', triangle: '_singleton', area: 1 })),
    ).not.toThrow();
    expect(() => new ExportedClass('Shape', spec({ perimeter: 1 }))).toThrow(
      expect.objectContaining({
        name: 'UsageError',
        code: 'RPC_INVALID_OPTION',
        message: "classes['Shape'] lists 'perimeter' as 1, but the class has no such method",
      }),
    );
    expect(() => new ExportedClass('Shape', spec({ area: '_constructor' }))).toThrow(/no such static method/);
    expect(() => new ExportedClass('Shape', spec({ count: '_constructor' }))).toThrow(/no such static method/);
    expect(() => new ExportedClass('Bad', { impl: 42 as never, methods: {} })).toThrow(
      /must be a class or \{ module, export\? \}/,
    );
  });

  it('constructs with `new` or with a static constructor method', () => {
    const shape = new ExportedClass('Shape', spec({ new: '_constructor', triangle: '_constructor' }));
    expect(shape.construct('new', [5])).toEqual(new Shape(5));
    expect(shape.construct('triangle', [])).toEqual(new Shape(3));
  });

  it('announces singletons as constructors, as Event::RPC does', () => {
    expect(new ExportedClass('Shape', spec({ triangle: '_singleton', area: '_object' })).info()).toEqual({
      triangle: '_constructor',
      area: '_object',
    });
  });

  it('waits for its module before it can be used, then takes the class from it', () => {
    const lazy = new ExportedClass('Shape', {
      impl: { module: './shape.js', export: 'Shape' },
      methods: { new: '_constructor', area: 1 },
    });
    expect(lazy.loaded).toBe(false);
    expect(lazy.source).toEqual({ module: './shape.js', export: 'Shape' });
    expect(() => lazy.impl).toThrow(/not loaded yet/);
    expect(() => lazy.load(Unrelated)).toThrow(/no such method/);
    expect(lazy.loaded).toBe(false);
    lazy.load(Shape);
    expect(lazy.impl).toBe(Shape);
  });
});

describe('ClassRegistry', () => {
  it('finds the exported class of an object, or its nearest exported ancestor', () => {
    const registry = new ClassRegistry({ Shape: spec({ area: 1 }), Lazy: { impl: { module: './x.js' }, methods: {} } });
    expect(registry.names()).toEqual(['Shape', 'Lazy']);
    expect(registry.classOf(new Shape(1))?.name).toBe('Shape');
    expect(registry.classOf(new Square())?.name).toBe('Shape');
    expect(registry.classOf(new Unrelated())).toBeUndefined();
    expect(registry.classOf(Object.create(null) as object)).toBeUndefined();
  });
});
