// Compile-only: `pnpm typecheck` fails if the types of procedures, returns and calls drift. Nothing here runs.
import { AsyncClient, AsyncServer, Multiplexer, type Caller, type RpcError } from '@rpc/async';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | void {
  return undefined;
}

/** Each procedure's arguments, and the list of values it returns. */
interface Api {
  add_numbers(args: { n1: number; n2: number }): [{ sum: number }];
  pair(): [string, number];
}

const mux = new Multiplexer();
const server: AsyncServer<Api> = new AsyncServer<Api>({
  mux,
  procedures: {
    add_numbers: (caller, { n1, n2 }) => {
      expectType<Equal<typeof caller, Caller<[{ sum: number }]>>>();
      server.return(caller, { sum: n1 + n2 });
    },
    pair: (caller) => server.return(caller, 'a', 1),
  },
});

declare const caller: Caller<[{ sum: number }]>;
// @ts-expect-error a value of the wrong type
server.return(caller, { sum: 'x' });
// @ts-expect-error too many values
server.return(caller, { sum: 1 }, 2);

// @ts-expect-error every procedure of the map is implemented
new AsyncServer<Api>({ mux, procedures: { pair: (c: Caller<[string, number]>) => server.return(c, 'a', 1) } });
new AsyncServer<Api>({
  mux,
  procedures: {
    // @ts-expect-error an argument of the wrong type
    add_numbers: (_caller, args: string) => void args,
    pair: (c) => server.return(c, 'a', 1),
  },
});

declare const client: AsyncClient<Api>;
expectType<Equal<ReturnType<typeof client.call<'add_numbers'>>, Promise<[{ sum: number }]>>>();
expectType<Equal<ReturnType<typeof client.call<'pair'>>, Promise<[string, number]>>>();
void client.callWith({ deadlineMs: 100 }, 'add_numbers', { n1: 1, n2: 2 });
client.callback('add_numbers', [{ n1: 1, n2: 2 }], (error, values) => {
  if (error) expectType<Equal<typeof error, RpcError>>();
  else expectType<Equal<typeof values, [{ sum: number }]>>();
});
// @ts-expect-error a procedure the server does not have
void client.call('nope');
// @ts-expect-error an argument of the wrong type
void client.call('add_numbers', { n1: 'x', n2: 2 });

// Without a map: any procedure, unknown arguments, a list of unknown values.
const untyped = new AsyncClient({ port: 4000 });
expectType<Equal<ReturnType<typeof untyped.call<'anything'>>, Promise<unknown[]>>>();
const plain: AsyncServer = new AsyncServer({ mux, procedures: { echo: (c, ...args) => plain.return(c, ...args) } });
