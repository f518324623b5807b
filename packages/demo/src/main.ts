// The quick-start demo: an @rpc server on 127.0.0.1 exporting the Notebook
// class, and a client that creates notebooks, calls them, gets objects back,
// passes one as a parameter and releases them. Exits 0 when all went as expected.
import { Client, type RemoteError } from '@rpc/client';
import { Server } from '@rpc/server';
import { Notebook } from './notebook.js';

const server = new Server({
  host: '127.0.0.1',
  port: 0,
  name: 'notebook server',
  logger: { log: (level, message) => level <= 1 && console.log(`  [server] ${message}`) },
  classes: {
    Notebook: {
      impl: Notebook,
      methods: {
        new: '_constructor',
        shared: '_singleton',
        write: 1,
        words: 1,
        search: 1,
        copy: '_object',
        append: 1,
        whoAmI: 1,
      },
    },
  },
});
await server.start(); // resolves once listening

const client = new Client({ host: '127.0.0.1', port: server.port });
await client.connect();
console.log(
  `client: connected, format ${client.format}, ${client.pipelined ? 'many calls in flight' : 'one call at a time'}`,
);

const Notebooks = client.remoteClass<Notebook, [string], 'shared'>('Notebook');
const diary = await Notebooks.new('diary');
console.log(`client: created ${diary.oid}; the server calls us ${await diary.whoAmI()}`);

// Three writes in flight at once; the server answers each.
const lines = ['I waited and waited and waited', 'and when no message came', 'I knew it must have been from you'];
const counts = await Promise.all(lines.map((line) => diary.write(line)));
console.log(`client: wrote ${counts.length} lines, ${await diary.words()} words`);

const [found, howMany] = await diary.search('waited');
console.log(`client: 'waited' is in ${howMany} line(s): ${JSON.stringify(found)}`);

// An object returner hands back a remote object; we pass it back as a parameter.
const copy = await diary.copy('copy of diary');
const shared = await Notebooks.shared();
await shared.write('a line everyone can read');
const total = await copy.append(shared);
console.log(`client: the copy now has ${total} lines and ${await copy.words()} words`);

// Only exported methods exist on a proxy, and the server refuses anything else.
const refused = await client
  .request({ cmd: 'exec', oid: diary.oid, method: 'constructor', params: [] })
  .catch((e: RemoteError) => e.message);
console.log(`client: calling 'constructor' remotely: ${String(refused)}`);

await copy.release(); // the server frees it now; `diary` goes when we disconnect
await client.close();
await server.close();

const expected = total === 4 && howMany === 1 && refused === 'Illegal access to Notebook->constructor';
if (!expected) {
  console.error('demo: unexpected results');
  process.exit(1);
}
console.log('demo finished');
