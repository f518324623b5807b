import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// msgpackr and cbor-x keep one extension table per process: @rpc's codecs must leave it as it was for everyone else.
it('importing and making the codecs leaves msgpackr and cbor-x as they were for other code', () => {
  const fixtures = join(__dirname, '..', 'fixtures');
  const out = execFileSync(process.execPath, [join(fixtures, 'codec-isolation.mjs')], {
    cwd: fixtures,
    encoding: 'utf8',
    timeout: 20_000,
  });
  const { before, imported, made, ours } = JSON.parse(out) as Record<string, Record<string, string>>;
  expect(before).toEqual({
    ext26: 'error Unknown extension 26',
    ext1: 'error Unknown extension 1',
    bignum: 'bigint true',
  });
  expect(imported).toEqual(before); // sideEffects: false is true
  expect(made).toEqual(before);
  expect(ours).toEqual({
    ext1: 'value "MsgpackExtension"',
    bignum: expect.stringMatching(/^error CBOR: bignum longer than 64 bytes/),
  });
});
