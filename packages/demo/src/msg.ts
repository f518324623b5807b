// The quick-start demo: a Msg server and client on 127.0.0.1 doing real work.
// The server keeps a running word count per connection and answers each
// line with it; it also speaks first (peer to peer). Exits 0 when done.
import { connect, MsgServer, type Connection } from '@rpc/msg';

const text = new TextDecoder();

const server = await new MsgServer({
  host: '127.0.0.1',
  port: 0,
  login: (conn: Connection) => {
    conn.sendLater('hello, send me lines and I count their words');
    let words = 0;
    return (peer, msg) => {
      if (msg === undefined) return; // the client left
      const line = text.decode(msg);
      words += line.split(/\s+/).filter(Boolean).length;
      peer.sendLater(`${words} words so far (last line: "${line}")`);
    };
  },
}).start();
const address = server.address;
console.log(`server listening on ${'port' in address ? `${address.host}:${address.port}` : address.path}`);

const client = await connect(server.address);
console.log(`server says: ${text.decode((await client.receive()) as Uint8Array)}`);

const lines = ['I waited and waited and waited', 'and when no message came', 'I knew it must have been from you'];
// Queue every line at once: they leave in one write, and the answers come back in order.
for (const line of lines) client.sendLater(line);
for (let i = 0; i < lines.length; i++) {
  console.log(`server says: ${text.decode((await client.receive()) as Uint8Array)}`);
}

await client.sendNow('one last line sent now');
const last = text.decode((await client.receive()) as Uint8Array);
console.log(`server says: ${last}`);

await client.close();
await server.close();
if (!last.startsWith('24 words')) {
  console.error('unexpected answer');
  process.exit(1);
}
console.log('demo finished');
