import { doc, expectRefused, sereal } from './helpers.js';

// <MAGIC> <VERSION-TYPE> <HEADER-SUFFIX-SIZE> <OPT-SUFFIX> <BODY>, each case with the body 0x41 0x01: [1].
describe('the document header', () => {
  it.each([
    ['version 1, =srl', '3d73726c0100'],
    ['version 2, =srl', '3d73726c0200'],
    ['version 3, =\\xF3rl', '3df3726c0300'],
    ['version 4, =\\xF3rl', '3df3726c0400'],
    ['version 5, =\\xF3rl', '3df3726c0500'],
  ])('reads %s', (_label, header) => {
    expect(sereal.decode(doc('4101', header))).toEqual([1]);
  });

  it('skips a header suffix (protocol 3 user data) without reading it', () => {
    // Suffix of 5 bytes: the bit field 0x01 (user data follows) and the user data {u => 1}, as
    // encode_sereal_with_header_data writes.
    expect(sereal.decode(doc('0501516175014101', '3df3726c05'))).toEqual([1]);
    // A suffix is skipped whatever it holds, even bytes that are no Sereal at all.
    expect(sereal.decode(doc('03ffffff4101', '3df3726c05'))).toEqual([1]);
    // A two-byte varint suffix size.
    expect(sereal.decode(doc(`8001${'00'.repeat(128)}4101`, '3df3726c05'))).toEqual([1]);
  });

  it('refuses a suffix that runs past the input before skipping it', () => {
    expectRefused(
      doc('ffffffff0f4101', '3df3726c05'),
      'CODEC_MALFORMED',
      /header suffix of 4294967295 bytes runs past the input/,
    );
    expectRefused(doc('ff', '3df3726c05'), 'CODEC_MALFORMED', /the header ends early/);
  });

  it('refuses other magic strings, and says when a document was UTF-8 encoded on its way', () => {
    expectRefused(doc('4101', '3d73726d0500'), 'CODEC_MALFORMED', /not a Sereal document/);
    expectRefused(doc('', ''), 'CODEC_MALFORMED', /not a Sereal document/);
    expectRefused(doc('4101', '3dc3b3726c0500'), 'CODEC_MALFORMED', /UTF-8 encoded/);
    expectRefused(doc('', '3df3726c'), 'CODEC_MALFORMED', /the header ends early/);
  });

  it('refuses versions it does not know, and a magic string of the wrong version', () => {
    expectRefused(doc('4101', '3df3726c0600'), 'CODEC_MALFORMED', /protocol version 6 is not supported/);
    expectRefused(doc('4101', '3d73726c0000'), 'CODEC_MALFORMED', /protocol version 0 is not supported/);
    expectRefused(
      doc('4101', '3d73726c0500'),
      'CODEC_MALFORMED',
      /protocol version 5 with the magic string of version 1 or 2/,
    );
    expectRefused(
      doc('4101', '3df3726c0200'),
      'CODEC_MALFORMED',
      /protocol version 2 with the magic string of version 3 or later/,
    );
  });

  it.each([
    ['Snappy', '3d73726c1100'],
    ['Snappy', '3df3726c2500'],
    ['Zlib', '3df3726c3500'],
    ['Zstd', '3df3726c4500'],
  ])('refuses a %s-compressed body clearly', (name, header) => {
    const error = expectRefused(
      doc('00', header),
      'CODEC_MALFORMED',
      new RegExp(`the body is ${name}-compressed; only uncompressed Sereal is supported`),
    );
    expect(error.data).toMatchObject({ offset: 4 });
  });

  it('refuses an unknown body encoding, an empty body and bytes after the value (PAD excepted)', () => {
    expectRefused(doc('00', '3df3726c5500'), 'CODEC_MALFORMED', /unknown body encoding 5/);
    expectRefused(doc(''), 'CODEC_MALFORMED', /the document has no body/);
    expectRefused(doc('0101'), 'CODEC_MALFORMED', /bytes after the document value \(at byte 7\)/);
    expect(sereal.decode(doc('013f3f'))).toBe(1);
  });
});
