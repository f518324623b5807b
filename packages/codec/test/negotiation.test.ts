import {
  ClientNegotiation,
  CodecRegistry,
  decodeNegotiation,
  encodeNegotiation,
  ProtocolError,
  ServerNegotiation,
  type Codec,
  type NegotiationStep,
} from '@rpc/codec';

/** A codec that only has a name: negotiation never encodes with it. */
function named(name: string, insecure = false): Codec {
  return {
    name,
    insecure,
    encode: (value) => new TextEncoder().encode(JSON.stringify(value)),
    decode: (bytes) => JSON.parse(new TextDecoder().decode(bytes)),
  };
}

const text = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? []).toString('latin1');

/** Runs both state machines against each other as the wire would, returning what each side settled on. */
function negotiate(
  serverNames: string[],
  clientNames: string[],
  options: { serverInsecure?: boolean; clientInsecure?: boolean } = {},
) {
  const server = new ServerNegotiation({
    formats: new CodecRegistry(serverNames.map((n) => named(n, n === 'STOR'))),
    insecureFormatsOk: options.serverInsecure,
  });
  const client = new ClientNegotiation({
    formats: new CodecRegistry(clientNames.map((n) => named(n, n === 'STOR'))),
    insecureFormatsOk: options.clientInsecure,
  });
  let toServer: Uint8Array | undefined = client.start();
  let serverStep: NegotiationStep = {};
  let clientStep: NegotiationStep = {};
  while (toServer !== undefined) {
    serverStep = server.receive(toServer);
    clientStep = client.receive(serverStep.reply as Uint8Array);
    toServer = clientStep.codec || clientStep.error ? undefined : clientStep.reply;
  }
  return {
    offer: server.offer,
    server: serverStep.codec?.name,
    client: clientStep.codec?.name,
    error: clientStep.error,
    serverError: serverStep.error,
  };
}

describe('negotiation messages', () => {
  it('encode as Event::RPC writes them, dropping /<digit>/ from the values', () => {
    expect(text(encodeNegotiation({ cmd: 'neg_formats_avail' }))).toBe('/0/E:R:M:N/1//2//3/neg_formats_avail/0/');
    expect(text(encodeNegotiation({ ok: '1', msg: 'CBOR,JSON' }))).toBe('/0/E:R:M:N/1/1/2/CBOR,JSON/3//0/');
    expect(text(encodeNegotiation({ msg: 'a/1/b/22/c' }))).toBe('/0/E:R:M:N/1//2/ab/22/c/3//0/');
  });

  it('decode with Perl regex rules, and tell other bytes apart', () => {
    const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');
    expect(decodeNegotiation(bytes('/0/E:R:M:N/1/1/2/CBOR,JSON/3//0/'))).toEqual({
      ok: '1',
      msg: 'CBOR,JSON',
      cmd: '',
    });
    expect(decodeNegotiation(bytes('/0/E:R:M:N/1//2//3/neg_format_set/0/\n'))).toEqual({
      ok: '',
      msg: '',
      cmd: 'neg_format_set',
    });
    expect(decodeNegotiation(bytes('/0/E:R:M:N/1//2/two\nlines/3//0/'))).toBeUndefined();
    expect(decodeNegotiation(bytes('{"cmd":"version"}'))).toBeUndefined();
    expect(decodeNegotiation(new Uint8Array([0x2f, 0xff, 0x00]))).toBeUndefined();
  });
});

describe('format negotiation', () => {
  it('puts the names Perl knows first in the offer, in the server preference order', () => {
    expect(negotiate(['MSGP', 'JSON', 'CBOR'], ['JSON']).offer).toEqual(['JSON', 'CBOR', 'MSGP']);
    expect(negotiate(['CBOR', 'JSON', 'MSGP'], ['JSON']).offer).toEqual(['CBOR', 'JSON', 'MSGP']);
  });

  // Every pairing of these server and client lists: the client gets its own first choice among what the server offers.
  const lists = [['MSGP', 'CBOR', 'JSON'], ['CBOR', 'JSON'], ['JSON'], ['MSGP'], ['JSON', 'MSGP'], ['CBOR']];
  for (const serverNames of lists) {
    for (const clientNames of lists) {
      const expected = clientNames.find((n) => serverNames.includes(n));
      it(`server [${serverNames}] × client [${clientNames}] → ${expected ?? 'no common format'}`, () => {
        const result = negotiate(serverNames, clientNames);
        if (expected === undefined) {
          expect(result.error).toBeInstanceOf(ProtocolError);
          expect(result.error).toMatchObject({
            code: 'NEG_NO_COMMON_FORMAT',
            message: `no common message format: the server offers ${result.offer.join(',')}, this client speaks ${clientNames.join(',')}`,
          });
        } else {
          expect(result).toMatchObject({ server: expected, client: expected, error: undefined });
        }
      });
    }
  }

  it('skips names it does not know wherever they stand in the offer', () => {
    const server = new ServerNegotiation({ formats: new CodecRegistry([named('SERL'), named('XYZ1'), named('JSON')]) });
    const client = new ClientNegotiation({ formats: new CodecRegistry([named('JSON')]) });
    const offer = server.receive(client.start());
    expect(text(offer.reply)).toBe('/0/E:R:M:N/1/1/2/SERL,JSON,XYZ1/3//0/');
    expect(text(client.receive(offer.reply as Uint8Array).reply)).toBe('/0/E:R:M:N/1//2/JSON/3/neg_format_set/0/');
  });

  it('offers and accepts insecure formats only with insecureFormatsOk on both sides', () => {
    expect(negotiate(['STOR', 'JSON'], ['STOR', 'JSON'])).toMatchObject({ offer: ['JSON'], client: 'JSON' });
    expect(negotiate(['STOR', 'JSON'], ['STOR', 'JSON'], { serverInsecure: true })).toMatchObject({
      offer: ['JSON', 'STOR'],
      client: 'JSON',
    });
    expect(negotiate(['STOR', 'JSON'], ['STOR', 'JSON'], { serverInsecure: true, clientInsecure: true })).toMatchObject(
      { client: 'STOR', server: 'STOR' },
    );
    expect(negotiate(['STOR'], ['STOR'], { clientInsecure: true }).error).toMatchObject({
      code: 'NEG_NO_COMMON_FORMAT',
    });
  });

  it('rejects a format the server did not offer, as Event::RPC words it', () => {
    const server = new ServerNegotiation({ formats: new CodecRegistry([named('JSON'), named('STOR', true)]) });
    const step = server.receive(encodeNegotiation({ cmd: 'neg_format_set', msg: 'STOR' }));
    expect(text(step.reply)).toBe("/0/E:R:M:N/1//2/Server rejected format 'STOR'/3//0/");
    expect(step.codec).toBeUndefined();
    expect(step.error).toMatchObject({ code: 'NEG_REJECTED' });
  });

  it('refuses a negotiation message that is not a negotiation command (NEG_UNEXPECTED)', () => {
    const server = new ServerNegotiation({ formats: new CodecRegistry([named('JSON')]) });
    const step = server.receive(encodeNegotiation({ cmd: 'exec', msg: 'anything' }));
    expect(text(step.reply)).toBe("/0/E:R:M:N/1//2/format negotiation expected, got command 'exec'/3//0/");
    expect(step.error).toMatchObject({ name: 'ProtocolError', code: 'NEG_UNEXPECTED' });
  });

  it('refuses an old client that does not negotiate unless the insecure fallback is allowed and installed', () => {
    const request = Buffer.from('{"cmd":"version"}');
    const strict = new ServerNegotiation({ formats: new CodecRegistry([named('JSON'), named('STOR', true)]) });
    const refused = strict.receive(request);
    expect(refused.error).toMatchObject({ code: 'NEG_NOT_NEGOTIATING' });
    expect(text(refused.reply)).toBe(
      '/0/E:R:M:N/1//2/client did not negotiate a message format and the insecure Storable fallback is not allowed/3//0/',
    );

    const noCodec = new ServerNegotiation({ formats: new CodecRegistry([named('JSON')]), insecureFormatsOk: true });
    expect(noCodec.receive(request).error?.message).toBe(
      'client did not negotiate a message format and no STOR codec is installed',
    );

    // With a STOR codec registered and insecure formats allowed, the first request is decoded with it.
    const lenient = new ServerNegotiation({
      formats: new CodecRegistry([named('JSON'), named('STOR', true)]),
      insecureFormatsOk: true,
    });
    expect(lenient.receive(request)).toEqual({
      codec: expect.objectContaining({ name: 'STOR' }),
      request: { cmd: 'version' },
    });
  });

  it('tells the client when the server does not negotiate, and falls back only if allowed', () => {
    const garbage = Buffer.from('not a negotiation answer');
    const client = new ClientNegotiation({ formats: new CodecRegistry([named('JSON'), named('STOR', true)]) });
    client.start();
    expect(client.receive(garbage).error).toMatchObject({
      code: 'NEG_NOT_NEGOTIATING',
      message: 'server did not negotiate a message format and the Storable fallback is not allowed',
    });
    const lenient = new ClientNegotiation({
      formats: new CodecRegistry([named('JSON'), named('STOR', true)]),
      insecureFormatsOk: true,
    });
    lenient.start();
    expect(lenient.receive(garbage).codec?.name).toBe('STOR');
  });

  it('reports the server refusing the chosen format', () => {
    const client = new ClientNegotiation({ formats: new CodecRegistry([named('JSON')]) });
    client.start();
    client.receive(encodeNegotiation({ ok: '1', msg: 'JSON' }));
    expect(client.receive(encodeNegotiation({ msg: "Server rejected format 'JSON'" })).error).toMatchObject({
      code: 'NEG_REJECTED',
      message: "Server rejected format 'JSON'",
    });
  });
});
