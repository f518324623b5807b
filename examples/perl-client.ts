// A TypeScript server whose objects a Perl program uses through Perl's own Event::RPC::Client (perl-client.pl, beside
// this file): the server speaks Event::RPC 1.10's protocol and the formats Perl negotiates.
//
// Run: npx tsx perl-client.ts (needs perl with Event::RPC; on Debian: apt-get install libevent-rpc-perl)
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Server } from '@rpc/server';

class Notebook {
  readonly #lines: string[] = [];
  constructor(readonly name: string) {}
  title(): string {
    return this.name;
  }
  write(line: string): number {
    if (line === '') throw new Error('an empty line');
    return this.#lines.push(line);
  }
  copy(name: string): Notebook {
    const copy = new Notebook(name);
    for (const line of this.#lines) copy.write(line);
    return copy;
  }
}

await using server = new Server({
  host: '127.0.0.1',
  port: 0,
  classes: {
    Notebook: { impl: Notebook, methods: { new: '_constructor', title: 1, write: 1, copy: '_object' } },
  },
});
await server.start();

const perlClient = fileURLToPath(new URL('perl-client.pl', import.meta.url));
const { stdout } = await promisify(execFile)('perl', [perlClient, String(server.port)], { timeout: 30_000 });
process.stdout.write(stdout);

// Output:
// copy has 3 lines
// refused: an empty line
