import { ConsoleLogger, formatLogLine } from '@rpc/core';

describe('logging', () => {
  it('formats one line with a timestamp and the level', () => {
    expect(formatLogLine(2, 'cid=1: new connection')).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[2\] cid=1: new connection\n$/,
    );
    expect(formatLogLine(1, 'ends with a newline\n')).toMatch(/\[1\] ends with a newline\n$/);
  });

  it('writes with console.error only the levels up to its minimum', () => {
    const written: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((line: string) => void written.push(line));
    try {
      const logger = new ConsoleLogger(2);
      logger.log(1, 'kept');
      logger.log(2, 'kept too');
      logger.log(3, 'dropped');
    } finally {
      spy.mockRestore();
    }
    expect(written.map((line) => line.replace(/^\S+ /, ''))).toEqual(['[1] kept', '[2] kept too']);
  });
});
