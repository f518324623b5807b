import { formatError, TaggedValue } from '@rpc/codec';

/**
 * A JSON parser that also reads JSON::XS tagged values, `("Class")[...]`.
 * Used only for payloads that contain a `(` outside strings; plain JSON
 * goes to JSON.parse. Nesting was already bounded by the scan, so recursion
 * is safe here.
 */
export function parseTagged(text: string): unknown {
  const parser = new Parser(text);
  const value = parser.value();
  parser.skipSpace();
  if (parser.at < text.length) parser.fail('unexpected text after the value');
  return value;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class Parser {
  at = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw formatError('CODEC_MALFORMED', 'JSON', what, { offset: this.at });
  }

  skipSpace(): void {
    const t = this.text;
    while (this.at < t.length) {
      const c = t.charCodeAt(this.at);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.at++;
    }
  }

  expect(char: string): void {
    this.skipSpace();
    if (this.text[this.at] !== char) this.fail(`expected '${char}'`);
    this.at++;
  }

  value(): unknown {
    this.skipSpace();
    const c = this.text[this.at];
    switch (c) {
      case '{':
        return this.object();
      case '[':
        return this.array();
      case '"':
        return this.string();
      case '(':
        return this.tagged();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        return this.number();
    }
  }

  literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.at)) this.fail('unexpected token');
    this.at += word.length;
    return value;
  }

  number(): number {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (match === null) this.fail('unexpected token');
    this.at += match[0].length;
    return Number(match[0]);
  }

  string(): string {
    // Find the closing quote by hand (a RegExp would recurse per character), then let JSON.parse check the escapes.
    const t = this.text;
    let end = this.at + 1;
    while (end < t.length) {
      const c = t.charCodeAt(end);
      if (c === 0x22) break;
      end += c === 0x5c ? 2 : 1;
    }
    if (end >= t.length) this.fail('unterminated string');
    let value: string;
    try {
      value = JSON.parse(t.slice(this.at, end + 1)) as string;
    } catch {
      this.fail('malformed string');
    }
    this.at = end + 1;
    return value;
  }

  array(): unknown[] {
    this.at++; // [
    const out: unknown[] = [];
    this.skipSpace();
    if (this.text[this.at] === ']') {
      this.at++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.skipSpace();
      const c = this.text[this.at++];
      if (c === ']') return out;
      if (c !== ',') this.fail("expected ',' or ']'");
    }
  }

  object(): Record<string, unknown> {
    this.at++; // {
    const out: Record<string, unknown> = {};
    this.skipSpace();
    if (this.text[this.at] === '}') {
      this.at++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.at] !== '"') this.fail('expected a string key');
      const key = this.string();
      this.expect(':');
      Object.defineProperty(out, key, { value: this.value(), writable: true, enumerable: true, configurable: true });
      this.skipSpace();
      const c = this.text[this.at++];
      if (c === '}') return out;
      if (c !== ',') this.fail("expected ',' or '}'");
    }
  }

  tagged(): TaggedValue {
    this.at++; // (
    this.skipSpace();
    if (this.text[this.at] !== '"') this.fail('expected a class name after (');
    const className = this.string();
    this.expect(')');
    this.skipSpace();
    if (this.text[this.at] !== '[') this.fail('expected [ after a tag');
    return new TaggedValue(className, this.array());
  }
}
