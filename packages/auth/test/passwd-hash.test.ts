import { AccessList, crypt, deriveScramCredentials, formatScramVerifier, PasswdHash } from '@rpc/auth';

describe('PasswdHash', () => {
  it('checks the crypt tokens Event::RPC clients send, holding only salted keys', async () => {
    const hash = await PasswdHash.from(
      { fred: crypt('fred', 's3cret'), nick: formatScramVerifier(await deriveScramCredentials(crypt('nick', 'pw'))) },
      1000,
    );
    expect(await hash.checkCredentials('fred', 'frzE8Uv4QtwNg')).toBe(true);
    expect(await hash.checkCredentials('fred', crypt('fred', 'wrong'))).toBe(false);
    expect(await hash.checkCredentials('nick', crypt('nick', 'pw'))).toBe(true);
    expect(await hash.checkCredentials('nobody', 'frzE8Uv4QtwNg')).toBe(false);
    const stored = hash.scramCredentials('fred');
    expect(stored?.iterations).toBe(1000);
    expect(JSON.stringify(hash)).not.toContain('frzE8Uv4QtwNg');
    expect(hash.scramCredentials('nobody')).toBeUndefined();
  });

  it('refuses a stored password it cannot read', async () => {
    await expect(PasswdHash.from({ fred: 's3cret' })).rejects.toMatchObject({
      name: 'UsageError',
      code: 'AUTH_INVALID_OPTION',
    });
  });
});

describe('AccessList', () => {
  it('grants each user the classes and methods listed for them, nothing else', () => {
    const access = new AccessList({ fred: { Notebook: ['new', 'read'], Admin: '*' }, nick: { Notebook: ['read'] } });
    expect(access.allows('fred', 'Notebook', 'new')).toBe(true);
    expect(access.allows('fred', 'Notebook', 'write')).toBe(false);
    expect(access.allows('fred', 'Admin', 'anything')).toBe(true);
    expect(access.allows('nick', 'Notebook', 'new')).toBe(false);
    expect(access.allows('nick', 'Admin', 'anything')).toBe(false);
    expect(access.allows('stranger', 'Notebook', 'read')).toBe(false);
    expect(access.allows(undefined, 'Notebook', 'read')).toBe(false);
    expect(access.allows('toString', 'Notebook', 'read')).toBe(false);
    expect(access.allows('fred', 'constructor', 'name')).toBe(false);
  });

  it('can be a function', () => {
    const access = new AccessList((user, cls, method) => user === 'root' || (cls === 'Public' && method !== 'delete'));
    expect([
      access.allows('root', 'X', 'delete'),
      access.allows('guest', 'Public', 'read'),
      access.allows('guest', 'Public', 'delete'),
    ]).toEqual([true, true, false]);
  });
});
