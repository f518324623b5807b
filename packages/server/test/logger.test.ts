import { ConsoleLogger, formatLogLine } from '../src/logger.js';

describe('logging', () => {
  it('formats one line with a timestamp and the level', () => {
    expect(formatLogLine(2, 'cid=1: new connection')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[2\] cid=1: new connection\n$/);
    expect(formatLogLine(1, 'ends with a newline\n')).toMatch(/\[1\] ends with a newline\n$/);
  });

  it('writes to stderr only the levels up to its minimum', () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
    try {
      const logger = new ConsoleLogger(2);
      logger.log(1, 'kept');
      logger.log(2, 'kept too');
      logger.log(3, 'dropped');
    } finally {
      spy.mockRestore();
    }
    expect(written.map((line) => line.replace(/^\S+ /, ''))).toEqual(['[1] kept\n', '[2] kept too\n']);
  });
});
