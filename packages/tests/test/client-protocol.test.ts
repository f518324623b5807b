import { Client } from '@rpc/client';
import { CodecRegistry, ServerNegotiation } from '@rpc/codec';
import { jsonCodec } from '@rpc/codec-json';
import { MsgServer, type Connection } from '@rpc/msg';
import { waitFor } from '@rpc/testkit';

// Event::RPC servers that break the protocol, as a hostile or broken peer would: the client refuses them with
// coded errors and never hangs.
type Answerer = (request: Record<string, unknown>, conn: Connection) => void;

async function fakeServer(answer: Answerer): Promise<MsgServer> {
  const json = jsonCodec();
  return new MsgServer({
    host: '127.0.0.1',
    login: () => {
      const negotiation = new ServerNegotiation({ formats: new CodecRegistry([json]) });
      let negotiated = false;
      return (conn, msg) => {
        if (msg === undefined) return;
        if (!negotiated) {
          const step = negotiation.receive(msg);
          if (step.reply) conn.sendLater(step.reply);
          negotiated = step.codec !== undefined;
          return;
        }
        answer(json.decode(msg) as Record<string, unknown>, conn);
      };
    },
  }).start();
}

const portOf = (server: MsgServer): number => (server.address as { port: number }).port;

it('refuses a server whose protocol is older than 1.00 (RPC_VERSION), and hangs up', async () => {
  await using server = await fakeServer((_request, conn) =>
    conn.sendLater(jsonCodec().encode({ ok: 1, version: '0.90', protocol: '0.90' })),
  );
  await using client = new Client({ host: '127.0.0.1', port: portOf(server) });
  await expect(client.connect()).rejects.toMatchObject({ name: 'ProtocolError', code: 'RPC_VERSION' });
  expect(client.connected).toBe(false);
  await waitFor(() => server.connections.size === 0, 'the client to hang up');
});

it('drops a connection whose server answers bytes that do not decode (RPC_BAD_ANSWER): the call fails, the error is reported', async () => {
  let garbage = false;
  await using server = await fakeServer((request, conn) => {
    if (garbage) return conn.sendLater(Uint8Array.of(0xff, 0x00, 0x7b));
    if (request.cmd === 'version')
      return conn.sendLater(jsonCodec().encode({ ok: 1, version: '1.10', protocol: '1.00' }));
    conn.sendLater(jsonCodec().encode({ ok: 1, class_info_all: {} }));
  });
  await using client = new Client({ host: '127.0.0.1', port: portOf(server) });
  const errors: Error[] = [];
  client.on('error', (error) => errors.push(error));
  await client.connect();
  garbage = true;
  await expect(client.request({ cmd: 'classes_list' })).rejects.toMatchObject({
    name: 'TransportError',
    code: 'RPC_DISCONNECTED',
  });
  expect(errors).toEqual([expect.objectContaining({ name: 'ProtocolError', code: 'RPC_BAD_ANSWER' })]);
  expect(client.connected).toBe(false);
});
