// A MessagePack-RPC service (AnyEvent::MPRPC's protocol, which neovim speaks) and a client calling it: typed
// methods, calls answered later and in any order, a deadline, and a notification.
//
// Run: npx tsx mprpc-service.ts
import { MprpcClient, MprpcServer } from '@rpc/mprpc';

interface Api {
  add(a: number, b: number): number;
  upper(text: string): string;
  log(line: string): void;
}

await using server = await new MprpcServer<Api>({ host: '127.0.0.1', port: 0 })
  .regCb({
    add: (res, a, b) => void setTimeout(() => res?.result(a + b), 20), // answers later, exactly once
    upper: (res, text) => res?.result(text.toUpperCase()),
    log: (_res, line) => console.log(`log: ${line}`), // a notification: nothing goes back
  })
  .start();

await using client = await new MprpcClient<Api>({ host: '127.0.0.1', port: server.port }).connect();
const [sum, word] = await Promise.all([client.call('add', 2, 3), client.callWith({ deadlineMs: 1000 }, 'upper', 'hi')]);
console.log(sum, word);
client.notify('log', 'done');
await new Promise((resolve) => setTimeout(resolve, 50)); // let the notification arrive before closing

// Output:
// 5 HI
// log: done
