import { NodeLoop } from '@rpc/loop-node';
import { connect, eventLoop, MsgServer, type MessageHandler } from '@rpc/msg';
import { waitFor } from '@rpc/testkit';
import { local } from './helpers.js';

const ignore: MessageHandler = () => undefined;

// Each test has loops of its own: handles are registered per Loop.
describe('eventLoop', () => {
  it('resolves with 0 at once when no handle is registered', async () => {
    expect(await eventLoop({ loop: new NodeLoop() })).toBe(0);
    expect(await eventLoop({ loop: new NodeLoop(), count: 5 })).toBe(0);
  });

  it('counts a connection as a handle while it has a handler', async () => {
    const [serverLoop, clientLoop] = [new NodeLoop(), new NodeLoop()];
    await using server = await new MsgServer({ ...local, login: () => ignore, loop: serverLoop }).start();
    await using client = await connect(server.address, undefined, { loop: clientLoop });
    expect(await eventLoop({ loop: clientLoop })).toBe(0); // receive() only: not registered

    client.onMessage = ignore;
    let idle = false;
    const waiting = eventLoop({ loop: clientLoop }).then((events) => {
      idle = true;
      return events;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);
    client.onMessage = undefined; // removing the handler deregisters it
    expect(await waiting).toBe(0);

    client.onMessage = ignore;
    const untilClosed = eventLoop({ loop: clientLoop });
    await client.close();
    expect(await untilClosed).toBe(1); // the close, given to the handler, is its last event
  });

  it('counts a listening server as a handle until closed, and each login as an event', async () => {
    const [serverLoop, clientLoop] = [new NodeLoop(), new NodeLoop()];
    const logins: string[] = [];
    await using server = await new MsgServer({
      ...local,
      login: () => {
        logins.push('login');
        return ignore;
      },
      loop: serverLoop,
    }).start();
    const login = eventLoop({ loop: serverLoop, count: 1 });
    await using _client = await connect(server.address, undefined, { loop: clientLoop });
    expect(await login).toBe(1);
    expect(logins).toEqual(['login']);
    await waitFor(() => server.connections.size === 1, 'the accepted connection'); // its handler set: a handle

    const untilIdle = eventLoop({ loop: serverLoop });
    await server.close(); // deregisters the server, and closes the accepted connection (one more event)
    expect(await untilIdle).toBe(1);
  });

  it('refuses a count that is not a positive integer', async () => {
    for (const count of [0, -1, 1.5, Number.NaN]) {
      await expect(eventLoop({ count, loop: new NodeLoop() })).rejects.toMatchObject({
        name: 'UsageError',
        code: 'MSG_INVALID_OPTION',
        message: `count must be a positive integer, got ${count}`,
      });
    }
  });

  it('stops waiting when its signal aborts, with the reason as cause', async () => {
    const loop = new NodeLoop();
    await using _server = await new MsgServer({ ...local, login: () => ignore, loop }).start();
    const stop = new AbortController();
    const waiting = eventLoop({ loop, signal: stop.signal });
    stop.abort('enough');
    await expect(waiting).rejects.toMatchObject({
      name: 'CancelError',
      code: 'MSG_ABORTED',
      message: 'eventLoop was aborted',
      cause: 'enough',
    });
    await expect(eventLoop({ loop, signal: stop.signal })).rejects.toMatchObject({ code: 'MSG_ABORTED' }); // already aborted
  });
});
