// A remote-object server for a web page: one HTTP server on 127.0.0.1 serves the page (browser.html, beside this
// file), the browser bundle of @rpc/client, and the RPC server's WebSocket endpoint. Open the address it prints; the
// page creates a notebook, writes to it, reads it back and releases it, and the server stops once it has.
//
// Run: npx tsx browser.ts, then open the address it prints
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { WsLoop } from '@rpc/loop-ws';
import { Server } from '@rpc/server';

let released!: () => void;
const done = new Promise<void>((resolve) => (released = resolve));

class Notebook {
  readonly #lines: string[] = [];
  constructor(readonly title: string) {}
  write(line: string): number {
    return this.#lines.push(line);
  }
  lines(): string[] {
    console.log(`${this.title}: ${this.#lines.length} lines`);
    return this.#lines;
  }
}

const files: Record<string, [path: string, type: string]> = {
  '/': [fileURLToPath(new URL('browser.html', import.meta.url)), 'text/html; charset=utf-8'],
  '/rpc-client.js': [createRequire(import.meta.url).resolve('@rpc/client/browser'), 'text/javascript'],
};
const web = createServer((request, response) => {
  const file = files[request.url ?? ''];
  if (file === undefined) return void response.writeHead(404).end();
  response.writeHead(200, { 'content-type': file[1] }).end(readFileSync(file[0]));
});
await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
const { port } = web.address() as { port: number };

await using server = new Server({
  port,
  loop: new WsLoop({ server: web, path: '/rpc' }), // WebSocket upgrades of the same HTTP server, under /rpc
  classes: { Notebook: { impl: Notebook, methods: { new: '_constructor', write: 1, lines: 1 } } },
});
server.on('call', (_connection, request) => {
  if (request.cmd === 'client_destroy') released();
});
await server.start();
console.log(`open http://127.0.0.1:${port}/`);

await done;
console.log('the page released its notebook');
web.closeAllConnections();
web.close();

// Output:
// open http://127.0.0.1:<port>/
// from the browser: 2 lines
// the page released its notebook
