// A MessagePack-RPC service called from neovim: neovim connects with sockconnect() and calls it with rpcrequest()
// and rpcnotify(), from the Vim script beside this file (neovim.vim).
//
// Run: npx tsx neovim.ts (needs nvim; on Debian: apt-get install neovim)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MprpcServer } from '@rpc/mprpc';

/** What neovim calls. */
interface Service {
  sum(a: number, b: number): number;
  shout(text: string): string;
  log(line: string): void;
  done(): null;
}

await using server = await new MprpcServer<Service>({ host: '127.0.0.1', port: 0 })
  .regCb({
    sum: (res, a, b) => res?.result(a + b),
    shout: (res, text) => res?.result(text.toUpperCase()),
    log: (_res, line) => console.log(line), // a notification: nothing goes back
    done: (res) => res?.result(null),
  })
  .start();

const script = fileURLToPath(new URL('neovim.vim', import.meta.url));
const nvim = spawn('nvim', ['--headless', '--clean', '-S', script], {
  env: { ...process.env, RPC_ADDRESS: `127.0.0.1:${server.port}` },
  stdio: 'ignore',
  timeout: 30_000,
});
const code = await new Promise((resolve, reject) => nvim.on('exit', resolve).on('error', reject));
console.log(`neovim exited with ${code}`);

// Output:
// from neovim: 5 HELLO
// neovim exited with 0
