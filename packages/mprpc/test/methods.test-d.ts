// Compile-only: `pnpm typecheck` fails if the types of methods, calls and handlers drift. Nothing here runs.
import { MprpcClient, MprpcServer, type MprpcPeer, type MprpcResult } from '@rpc/mprpc';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | void {
  return undefined;
}

interface Api {
  sum(a: number, b: number): number;
  later(ms: number): Promise<string>;
  log(line: string): void;
}

interface Editor {
  whoami(): string;
}

// Handlers: parameters and the result handle are typed by the map; res is undefined for a notification.
const server = new MprpcServer<Api, Editor>({ port: 0 }).regCb({
  sum: (res, a, b) => {
    expectType<Equal<typeof a, number>>();
    expectType<Equal<typeof res, MprpcResult<number> | undefined>>();
    res?.result(a + b);
  },
  later: (res, ms) => void setTimeout(() => res?.result(`after ${ms}`), ms),
});
// @ts-expect-error a result of the wrong type
server.regCb({ sum: (res) => res?.result('three') });
// @ts-expect-error a parameter of the wrong type
server.regCb({ sum: (_res, a: string) => void a });
// @ts-expect-error a method the map does not have
server.regCb({ nope: () => undefined });

// Calls: typed parameters and results, no casts.
declare const client: MprpcClient<Api, Editor>;
expectType<Equal<ReturnType<typeof client.call<'sum'>>, Promise<number>>>();
expectType<Equal<Awaited<ReturnType<typeof client.call<'later'>>>, string>>();
void client.call('sum', 1, 2);
void client.callWith({ deadlineMs: 100, signal: AbortSignal.timeout(50) }, 'sum', 1, 2);
client.notify('log', 'hello');
// @ts-expect-error a method the server does not have
void client.call('nope');
// @ts-expect-error a parameter of the wrong type
void client.call('sum', 'x', 2);
// @ts-expect-error a parameter missing
void client.call('sum', 1);
// @ts-expect-error limits come first
void client.callWith('sum', 1, 2);

// The server calls its clients back, typed by the client's map.
for (const peer of server.peers) {
  expectType<Equal<typeof peer, MprpcPeer<Editor>>>();
  expectType<Equal<ReturnType<typeof peer.call<'whoami'>>, Promise<string>>>();
}
client.regCb({ whoami: (res) => res?.result('me') });

// Without a map: any method, unknown parameters and results (the fallback, not the default of typed code).
const untyped = new MprpcClient({ port: 0 });
expectType<Equal<ReturnType<typeof untyped.call<'anything'>>, Promise<unknown>>>();
new MprpcServer({ port: 0 }).regCb({ echo: (res, ...params) => res?.result(params) });
