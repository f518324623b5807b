import { crypt } from '@rpc/auth';

// Expected values were produced by Perl's crypt() (Event::RPC->crypt) on Debian; packages/tests checks against live
// Perl too.
describe('crypt', () => {
  it.each([
    ['fred', 's3cret', 'frzE8Uv4QtwNg'],
    ['nick', 's3cret', 'ni4jTFPY30.as'],
    ['FR', 's3cret', 'FR79ZhBVxMUjQ'],
    ['frederick', 's3cret', 'frzE8Uv4QtwNg'], // only the first two characters salt
    ['fr_ed', 's3cret', 'frzE8Uv4QtwNg'],
    ['ab', '', 'abmF1QH4PEr.E'],
    ['ab', 'abcdefghXYZ', 'abYH7TYgEKz2Q'], // only the first 8 bytes count
    ['fr', 'Grüße', 'frzU/ITgx2U1c'], // UTF-8 bytes
  ])('crypt(%j, %j) is %s, as in Perl', (user, pass, expected) => {
    expect(crypt(user, pass)).toBe(expected);
  });

  it.each(['a', '', '_u', 'x y', 'fred!', 'über', 'fr:x'])(
    'gives "*0" for the user name %j, which Perl refuses as a salt',
    (user) => {
      expect(crypt(user, 's3cret')).toBe('*0');
    },
  );
});
