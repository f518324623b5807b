import { ProtocolError, TaggedValue } from '@rpc/codec';
import { jsonCodec } from '@rpc/codec-json';

const json = jsonCodec();
const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

describe('jsonCodec', () => {
  it('writes latin-1 bytes as JSON::XS->latin1 does: one byte up to 0xFF, \\u escapes above', () => {
    expect(latin1(json.encode(['Grüße', '你好', '😀']))).toBe('["Grüße","\\u4f60\\u597d","\\ud83d\\ude00"]');
    expect(json.decode(Buffer.from('["Gr\xfc\xdfe","\\u4f60\\u597d"]', 'latin1'))).toEqual(['Grüße', '你好']);
  });

  it('writes and reads tagged values ("Class")[...] anywhere in a message', () => {
    const message = {
      cmd: 'exec',
      params: [new TaggedValue('My::Class', [['SCALAR', 'My::Class=OBJ(1)']]), { deep: [new TaggedValue('B', [])] }],
    };
    const bytes = json.encode(message);
    expect(latin1(bytes)).toBe(
      '{"cmd":"exec","params":[("My::Class")[["SCALAR","My::Class=OBJ(1)"]],{"deep":[("B")[]]}]}',
    );
    expect(json.decode(bytes)).toEqual(message);
    expect(json.decode(Buffer.from(' ( "A" ) [ 1 , "(not a tag)" ] '))).toEqual(
      new TaggedValue('A', [1, '(not a tag)']),
    );
  });

  it('writes BigInt exactly and bytes as a latin-1 string', () => {
    expect(latin1(json.encode([2n ** 64n - 1n, Uint8Array.of(0x47, 0xfc)]))).toBe('[18446744073709551615,"G\xfc"]');
  });

  it('reports malformed input with the offset, on both paths', () => {
    expect(() => json.decode(Buffer.from('{"a":1,'))).toThrow(ProtocolError);
    const tagged = (() => {
      try {
        json.decode(Buffer.from('[("A")[1], ("B") 2]'));
      } catch (error) {
        return error;
      }
    })();
    expect(tagged).toMatchObject({
      code: 'CODEC_MALFORMED',
      data: { format: 'JSON', offset: 17 },
      message: 'JSON: expected [ after a tag (at byte 17)',
    });
  });

  it('keeps __proto__ and constructor as plain keys, tags or not', () => {
    for (const text of ['{"__proto__":{"x":1},"constructor":2}', '{"__proto__":{"x":1},"constructor":2,"t":("A")[]}']) {
      const value = json.decode(Buffer.from(text)) as Record<string, unknown>;
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect(Object.keys(value).slice(0, 2)).toEqual(['__proto__', 'constructor']);
      expect(({} as Record<string, unknown>).x).toBeUndefined();
    }
  });

  it('refuses nesting deeper than maxDepth before parsing', () => {
    const shallow = jsonCodec({ maxDepth: 3 });
    expect(shallow.decode(Buffer.from('[[[1]]]'))).toEqual([[[1]]]);
    expect(() => shallow.decode(Buffer.from('[[[[1]]]]'))).toThrow(
      expect.objectContaining({ code: 'CODEC_TOO_DEEP', data: { format: 'JSON', offset: 3 } }),
    );
  });

  // V8's longest string is 2^29 - 24 characters: a longer text used to escape as a plain RangeError. These tests fake
  // the size rather than allocate 512 MiB.
  it('refuses a text longer than the longest string JavaScript holds with CODEC_TOO_LARGE, before reading it', () => {
    const bytes = new Uint8Array(8);
    Object.defineProperty(bytes, 'length', { value: 2 ** 29 });
    expect(() => jsonCodec({ maxHeapBytes: Number.POSITIVE_INFINITY }).decode(bytes)).toThrow(
      expect.objectContaining({
        name: 'ProtocolError',
        code: 'CODEC_TOO_LARGE',
        message:
          'JSON: the decoded message would take more than the longest string JavaScript can hold (512.0 MiB): ' +
          `at least ${2 ** 29} bytes`,
        data: expect.objectContaining({ format: 'JSON', maxHeapBytes: 2 ** 29 - 24 }),
      }),
    );
  });

  it.each([
    [
      'the text (TextDecoder)',
      TextDecoder.prototype,
      'decode',
      new Error('Cannot create a string longer than 0x1fffffe8 characters'),
    ],
    ['the value (JSON.parse)', JSON, 'parse', new RangeError('Invalid string length')],
  ] as const)(
    'lets what V8 cannot make of %s out as CODEC_TOO_LARGE, not as a RangeError',
    (_what, object, method, error) => {
      const spy = jest.spyOn(object as unknown as Record<string, () => unknown>, method).mockImplementation(() => {
        throw error;
      });
      try {
        expect(() => json.decode(Buffer.from('["abc"]'))).toThrow(
          expect.objectContaining({ code: 'CODEC_TOO_LARGE', data: expect.objectContaining({ format: 'JSON' }) }),
        );
      } finally {
        spy.mockRestore();
      }
    },
  );
});
