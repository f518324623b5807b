import {
  deriveScramCredentials,
  formatScramVerifier,
  parseScramVerifier,
  ScramClient,
  ScramServer,
  type ScramCredentials,
} from '@rpc/auth';

// RFC 7677, section 3: the SCRAM-SHA-256 example exchange.
const rfc = {
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};
const rfcSalt = Uint8Array.from(atob('W22ZaJ0SNY7soEsUEjb6gQ=='), (c) => c.charCodeAt(0));

async function exchange(
  client: ScramClient,
  server: ScramServer,
): Promise<{ ok: boolean; user?: string; verified: boolean }> {
  const challenge = await server.first(client.first());
  if (challenge === undefined) return { ok: false, verified: false };
  const result = await server.final(await client.final(challenge));
  if (!result.ok) return { ok: false, ...(result.user === undefined ? {} : { user: result.user }), verified: false };
  client.verify(result.serverFinal);
  return { ok: true, user: result.user, verified: true };
}

describe('SCRAM-SHA-256', () => {
  it("reproduces RFC 7677's example on both sides", async () => {
    const client = new ScramClient('user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
    expect(client.first()).toBe(rfc.clientFirst);
    expect(await client.final(rfc.serverFirst)).toBe(rfc.clientFinal);
    expect(() => client.verify(rfc.serverFinal)).not.toThrow();

    const credentials = await deriveScramCredentials('pencil', 4096, rfcSalt);
    const server = new ScramServer(
      (user) => (user === 'user' ? credentials : undefined),
      () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
    );
    expect(await server.first(rfc.clientFirst)).toBe(rfc.serverFirst);
    expect(await server.final(rfc.clientFinal)).toEqual({ ok: true, user: 'user', serverFinal: rfc.serverFinal });
  });

  it('accepts the right password and refuses a wrong one and an unknown user alike', async () => {
    const credentials = await deriveScramCredentials('frzE8Uv4QtwNg');
    const lookup = (user: string): ScramCredentials | undefined => (user === 'fred' ? credentials : undefined);
    expect(await exchange(new ScramClient('fred', 'frzE8Uv4QtwNg'), new ScramServer(lookup))).toEqual({
      ok: true,
      user: 'fred',
      verified: true,
    });
    expect(await exchange(new ScramClient('fred', 'wrong'), new ScramServer(lookup))).toEqual({
      ok: false,
      user: 'fred',
      verified: false,
    });
    expect(await exchange(new ScramClient('nobody', 'frzE8Uv4QtwNg'), new ScramServer(lookup))).toEqual({
      ok: false,
      user: 'nobody',
      verified: false,
    });
    // The challenge of an unknown user looks like anyone's, and is the same each time.
    const [a, b] = [
      await new ScramServer(lookup).first('n,,n=nobody,r=abc'),
      await new ScramServer(lookup).first('n,,n=nobody,r=abc'),
    ];
    expect(a).toMatch(/^r=abc[^,]+,s=[^,]+,i=4096$/);
    expect(a?.split(',')[1]).toBe(b?.split(',')[1]);
  });

  it('refuses a recorded exchange replayed to a new challenge', async () => {
    const credentials = await deriveScramCredentials('frzE8Uv4QtwNg');
    const lookup = (): ScramCredentials => credentials;
    const client = new ScramClient('fred', 'frzE8Uv4QtwNg');
    const first = client.first();
    const recordedServer = new ScramServer(lookup);
    const clientFinal = await client.final((await recordedServer.first(first)) as string);
    expect((await recordedServer.final(clientFinal)).ok).toBe(true);
    // An eavesdropper sends the same two messages on a new connection.
    const replayed = new ScramServer(lookup);
    await replayed.first(first);
    expect((await replayed.final(clientFinal)).ok).toBe(false);
    // Nor does the proof work twice on the same server.
    expect((await recordedServer.final(clientFinal)).ok).toBe(false);
  });

  it('lets the client catch a server that does not know the credentials', async () => {
    const impostor = new ScramServer(async () => deriveScramCredentials('something else'));
    const client = new ScramClient('fred', 'frzE8Uv4QtwNg');
    const challenge = (await impostor.first(client.first())) as string;
    await client.final(challenge);
    expect(() => client.verify('v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')).toThrow(
      expect.objectContaining({ name: 'ProtocolError', code: 'AUTH_SERVER_UNVERIFIED' }),
    );
  });

  it('refuses malformed messages and extreme iteration counts', async () => {
    const server = new ScramServer(() => undefined);
    for (const bad of ['', 'p=tls-unique,,n=a,r=b', 'n,,r=abc', 'n,,n=a', 'n,,n=a=XY,r=b'])
      expect(await server.first(bad)).toBeUndefined();
    expect(await server.final('c=biws,r=x,p=AAAA')).toEqual({ ok: false, user: undefined });
    const client = new ScramClient('fred', 'pw', 'nonce');
    client.first();
    await expect(client.final('r=nonceXYZ,s=AAAA,i=99999999')).rejects.toMatchObject({ code: 'AUTH_PROTOCOL' });
    await expect(client.final('r=otherXYZ,s=AAAA,i=4096')).rejects.toMatchObject({ code: 'AUTH_PROTOCOL' });
  });

  it('stores credentials as PostgreSQL-style verifier strings', async () => {
    const credentials = await deriveScramCredentials('pencil', 4096, rfcSalt);
    const verifier = formatScramVerifier(credentials);
    expect(verifier).toMatch(/^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$/);
    expect(parseScramVerifier(verifier)).toEqual(credentials);
    expect(parseScramVerifier('frzE8Uv4QtwNg')).toBeUndefined();
    expect(parseScramVerifier('SCRAM-SHA-256$4096:AAAA$AAAA:AAAA')).toBeUndefined();
  });
});
