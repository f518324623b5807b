import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { TaggedValue, type Codec } from '@rpc/codec';
import { cborCodec } from '@rpc/codec-cbor';
import { jsonCodec } from '@rpc/codec-json';

// Byte-level agreement with Perl: the bytes come from, and go to, Event::RPC's own
// message classes (JSON::XS with allow_tags, CBOR::XS with FREEZE/THAW), not from our idea of them.
const peer = join(__dirname, '..', 'perl', 'codec-peer.pl');

function perl(mode: 'encode' | 'list' | 'decode', format: string, input?: Uint8Array): Buffer {
  return execFileSync('perl', [peer, mode, format], { input, maxBuffer: 64 * 1024 * 1024 });
}

beforeAll(() => {
  try {
    execFileSync('perl', ['-MJSON::XS', '-MCBOR::XS', '-MEvent::RPC::Message::JSON', '-e1'], { stdio: 'pipe' });
  } catch {
    throw new Error('Perl with JSON::XS, CBOR::XS and Event::RPC is needed: run scripts/setup-peers.sh');
  }
});

const object = new TaggedValue('Event_RPC_Test2', [['SCALAR', 'Event_RPC_Test2=HASH(0x558656466a10)']]);

/** The reference request of codec-peer.pl, as our decoders must see it. */
function reference(big: number | bigint): unknown {
  return {
    cmd: 'exec',
    oid: 'Event_RPC_Test=HASH(0x5586564666f8)',
    method: 'set_object2',
    params: [object, 'Grüße', '你好世界', '😀', 7, -42, 3.25, null, [1, [2, { a: 'b' }]], big, 'Grüße'],
  };
}

/** What Perl's decoder makes of our encoding of the reference request (scalars as Perl stringifies them). */
const perlView = {
  cmd: 'exec',
  oid: 'Event_RPC_Test=HASH(0x5586564666f8)',
  method: 'set_object2',
  params: [
    { blessed: 'Event_RPC_Test2', reftype: 'SCALAR', value: 'Event_RPC_Test2=HASH(0x558656466a10)' },
    'Grüße',
    '你好世界',
    '😀',
    '7',
    '-42',
    '3.25',
    null,
    ['1', ['2', { a: 'b' }]],
    '18446744073709551615',
    'Grüße',
  ],
};

describe.each([
  ['JSON', jsonCodec(), 18446744073709552000],
  ['CBOR', cborCodec(), 18446744073709551615n],
] as Array<[string, Codec, number | bigint]>)('%s agrees with Event::RPC', (format, codec, big) => {
  it('decodes the request Perl encodes, blessed object parameter included', () => {
    expect(codec.decode(perl('encode', format))).toEqual(reference(big));
  });

  it('is decoded by Perl to the same values, our TaggedValue thawed into a blessed object', () => {
    const ours = codec.encode(reference(2n ** 64n - 1n));
    expect(JSON.parse(perl('decode', format, ours).toString('utf8'))).toEqual(perlView);
  });

  it('reads a list Perl writes and writes it back so that Perl reads the same', () => {
    const list = ['Grüße', '你好世界', '😀', 7, -1, 1000, 4294967296, null, [], 'plain ascii'];
    expect(codec.decode(perl('list', format))).toEqual(list);
    expect(JSON.parse(perl('decode', format, codec.encode(list)).toString('utf8'))).toEqual([
      'Grüße',
      '你好世界',
      '😀',
      '7',
      '-1',
      '1000',
      '4294967296',
      null,
      [],
      'plain ascii',
    ]);
  });
});

describe('JSON bytes', () => {
  it('are identical to what Event::RPC writes: latin-1 up to 0xFF, \\u escapes above, surrogate pairs', () => {
    const list = ['Grüße', '你好世界', '😀', 7, -1, 1000, 4294967296, null, [], 'plain ascii'];
    const perlBytes = perl('list', 'JSON');
    expect(Buffer.from(jsonCodec().encode(list))).toEqual(perlBytes);
    expect(perlBytes.toString('latin1')).toBe(
      '["Grüße","\\u4f60\\u597d\\u4e16\\u754c","\\ud83d\\ude00",7,-1,1000,4294967296,null,[],"plain ascii"]',
    );
  });

  it('decode a captured Event::RPC 1.10 frame with a tagged object (wire notes, appendix A frame 15)', () => {
    const frame = Buffer.from(
      '{"cmd":"exec","params":[("Event_RPC_Test2")[["SCALAR","Event_RPC_Test2=HASH(0x558656466a10)"]]],"oid":"Event_RPC_Test=HASH(0x5586564666f8)","method":"set_object2"}',
      'latin1',
    );
    expect(frame.length).toBe(163);
    expect(jsonCodec().decode(frame)).toEqual({
      cmd: 'exec',
      params: [object],
      oid: 'Event_RPC_Test=HASH(0x5586564666f8)',
      method: 'set_object2',
    });
  });
});

describe('CBOR bytes', () => {
  it('read Perl byte strings as latin-1, in keys and values alike', () => {
    // {'cmd': 'version'} as CBOR::XS sends it: both strings are byte strings (major type 2).
    expect(cborCodec().decode(Buffer.from('a143636d644776657273696f6e', 'hex'))).toEqual({ cmd: 'version' });
    expect(cborCodec().decode(Buffer.from('a1436b6579454772fcdf65', 'hex'))).toEqual({ key: 'Grüße' });
  });

  it('write a blessed object as tag 26 the way CBOR::XS reads it', () => {
    const bytes = Buffer.from(cborCodec().encode([object]));
    expect(bytes.subarray(1, 4).toString('hex')).toBe('d81a82'); // tag 26, [class, payload]
  });
});
