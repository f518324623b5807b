import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CodecRegistry, encodeNegotiation, ServerNegotiation, type Codec } from '@rpc/codec';
import { cborCodec } from '@rpc/codec-cbor';
import { jsonCodec } from '@rpc/codec-json';
import { msgpackCodec } from '@rpc/codec-msgpack';
import { MsgServer, type Connection } from '@rpc/msg';

const run = promisify(execFile);
const client = join(__dirname, '..', 'perl', 'negotiate-client.pl');

/**
 * Just enough of an Event::RPC server for the Perl client's connect(): our
 * ServerNegotiation, then `version` and `class_info_all` in the agreed format.
 * (The full server is @rpc/server.) `offer` overrides the negotiated offer. `await using` closes the server.
 */
async function negotiatingServer(
  formats: Codec[],
  offer?: string,
): Promise<{ server: MsgServer; chosen: string[] } & AsyncDisposable> {
  const chosen: string[] = [];
  const server = await new MsgServer({
    host: '127.0.0.1',
    port: 0,
    login: () => {
      const negotiation = new ServerNegotiation({ formats: new CodecRegistry(formats) });
      let codec: Codec | undefined;
      return (conn: Connection, msg) => {
        if (msg === undefined) return;
        if (codec === undefined) {
          const step = negotiation.receive(msg);
          const reply =
            offer !== undefined && step.codec === undefined ? encodeNegotiation({ ok: '1', msg: offer }) : step.reply;
          if (reply) conn.sendLater(reply);
          if (step.codec) chosen.push((codec = step.codec).name);
          return;
        }
        const request = codec.decode(msg) as { cmd: string };
        const answers: Record<string, unknown> = {
          version: { ok: 1, version: '1.10', protocol: '1.00' },
          class_info_all: { ok: 1, class_info_all: {} },
        };
        conn.sendLater(
          codec.encode(answers[request.cmd] ?? { ok: 0, msg: `Unknown request command '${request.cmd}'` }),
        );
      };
    },
  }).start();
  return { server, chosen, [Symbol.asyncDispose]: () => server.close() };
}

async function perlConnects(server: MsgServer): Promise<string> {
  const { port } = server.address as { port: number };
  const { stdout } = await run('perl', [client, String(port)], { timeout: 20_000 });
  return stdout.trim();
}

describe('the Perl Event::RPC client negotiating with our server side', () => {
  it('takes the first Perl format offered, with our MessagePack listed after it', async () => {
    await using n = await negotiatingServer([msgpackCodec(), cborCodec(), jsonCodec()]);
    const { server, chosen } = n;
    expect(await perlConnects(server)).toBe('format=Event::RPC::Message::CBOR');
    expect(chosen).toEqual(['CBOR']);
  });

  it('gets JSON when the server prefers MessagePack and JSON, because Perl-known names are offered first', async () => {
    await using n = await negotiatingServer([msgpackCodec(), jsonCodec()]);
    const { server, chosen } = n;
    expect(await perlConnects(server)).toBe('format=Event::RPC::Message::JSON');
    expect(chosen).toEqual(['JSON']);
  });

  it('would die on an unknown name offered first: the reason for that order', async () => {
    await using n = await negotiatingServer([msgpackCodec(), jsonCodec()], 'MSGP,JSON');
    const { server, chosen } = n;
    expect(await perlConnects(server)).toMatch(/^died=Unknown message format 'MSGP at /);
    expect(chosen).toEqual([]);
  });

  it('fails with its own message when no format is common', async () => {
    await using n = await negotiatingServer([msgpackCodec()]);
    const { server } = n;
    expect(await perlConnects(server)).toMatch(/^died=Unknown message format 'MSGP at /);
  });
});
