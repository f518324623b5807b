import { AsyncClient, AsyncServer, Multiplexer, type MuxEvent } from '@rpc/async';
import { fromRpcEvent, io, messagesOf, RxLoop } from '@rpc/loop-rxjs';
import { nodeLoop } from '@rpc/loop-node';
import { connect, MsgServer } from '@rpc/msg';
import { Client } from '@rpc/client';
import { Server, type ServerConnection } from '@rpc/server';
import { waitFor } from '@rpc/testkit';
import { firstValueFrom, map, merge, take, toArray } from 'rxjs';
import { testClasses, type EventRpcTest } from '../src/test-classes.js';
import { quiet } from './rpc-helpers.js';

const text = new TextDecoder();

describe('the Observable surface', () => {
  it('gives a connection’s messages as an Observable that completes when it closes', async () => {
    const loop = new RxLoop({ transport: nodeLoop });
    await using server = await new MsgServer({
      host: '127.0.0.1',
      port: 0,
      login: (conn) => {
        for (const word of ['a', 'b', 'c']) conn.sendLater(word);
        void conn.close();
        return () => undefined;
      },
      loop,
    }).start();
    await using client = await connect(server.address, undefined, { loop });
    expect(
      await firstValueFrom(
        messagesOf(client).pipe(
          map((m) => text.decode(m)),
          toArray(),
        ),
      ),
    ).toEqual(['a', 'b', 'c']);
  });

  it('chains several RPC::Async servers over one multiplexer as operators', async () => {
    const loop = new RxLoop({ transport: nodeLoop });
    await using mux = new Multiplexer({ loop });
    await using first: AsyncServer = new AsyncServer({
      mux,
      host: '127.0.0.1',
      procedures: { whoami: (caller) => first.return(caller, 'first') },
    });
    await using second: AsyncServer = new AsyncServer({
      mux,
      host: '127.0.0.1',
      procedures: { whoami: (caller) => second.return(caller, 'second') },
    });
    await Promise.all([first.start(), second.start()]);
    const leftovers: MuxEvent['type'][] = [];
    const subscription = messagesOf(mux)
      .pipe(io(first), io(second))
      .subscribe((event) => leftovers.push(event.type));
    const clientOf = (server: AsyncServer) =>
      new AsyncClient({ loop, ...(server.address as { port: number }) }).connect();
    await using ca = await clientOf(first);
    await using cb = await clientOf(second);
    expect(await Promise.all([ca.call('whoami'), cb.call('whoami')])).toEqual([['first'], ['second']]);
    // A connection no server owns: its events pass through both.
    await using plain = await mux.connect(first.address as { port: number });
    await plain.close();
    await Promise.all([ca.close(), cb.close()]);
    await mux.close();
    subscription.unsubscribe();
    expect(leftovers).toContain('closed');
    expect(leftovers).not.toContain('message');
  });

  it("shows an Event::RPC server's connections, calls and disconnects as Observables", async () => {
    const loop = new RxLoop({ transport: nodeLoop });
    await using server = new Server({ host: '127.0.0.1', port: 0, loop, logger: quiet, classes: testClasses });
    await server.setupListeners();
    const seen: string[] = [];
    const subscription = merge(
      fromRpcEvent<[ServerConnection]>(server, 'connect').pipe(map(([c]) => `connect ${c.cid}`)),
      fromRpcEvent<[ServerConnection, Record<string, unknown>]>(server, 'call').pipe(
        map(([c, request]) => `call ${c.cid} ${String(request.cmd)}`),
      ),
      fromRpcEvent<[ServerConnection]>(server, 'disconnect').pipe(map(([c]) => `disconnect ${c.cid}`)),
    ).subscribe((line) => seen.push(line));
    await using client = new Client({ host: '127.0.0.1', port: server.port, loop });
    await client.connect();
    const obj = await client.remoteClass<EventRpcTest>('Event_RPC_Test').new({ data: 'x' });
    await obj.get_data();
    await client.close();
    await waitFor(() => seen.at(-1) === 'disconnect 1', 'the disconnect');
    expect(seen).toEqual([
      'connect 1',
      'call 1 version',
      'call 1 class_info_all',
      'call 1 new',
      'call 1 exec',
      'disconnect 1',
    ]);
    subscription.unsubscribe();
  });

  it('turns @rpc events into Observables and stops listening on unsubscribe', async () => {
    await using server = await new MsgServer({
      host: '127.0.0.1',
      port: 0,
      login: () => {
        throw new Error('nobody gets in');
      },
    }).start();
    const refused = firstValueFrom(fromRpcEvent<[Error]>(server, 'error').pipe(take(2), toArray()));
    await (await connect(server.address)).done;
    await (await connect(server.address)).done;
    expect((await refused).map(([error]) => (error as Error & { code: string }).code)).toEqual([
      'MSG_LOGIN_FAILED',
      'MSG_LOGIN_FAILED',
    ]);
    let late = 0;
    fromRpcEvent(server, 'error')
      .subscribe(() => late++)
      .unsubscribe();
    await (await connect(server.address)).done;
    expect(late).toBe(0);
  });
});
