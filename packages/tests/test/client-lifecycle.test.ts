import { Client } from '@rpc/client';
import { Server } from '@rpc/server';
import { testClasses, type EventRpcTest } from '../src/test-classes.js';

// One lifecycle for every client: connect() again is harmless, a lost connection can be made anew, close() is final.
it('connects once however often connect() is called, connects anew after the server went, and not after close()', async () => {
  await using first = await new Server({ host: '127.0.0.1', classes: testClasses }).start();
  await using client = new Client({ host: '127.0.0.1', port: first.port });
  const events: string[] = [];
  client.on('connect', () => events.push('connect'));
  client.on('disconnect', () => events.push('disconnect'));
  const [a, b] = await Promise.all([client.connect(), client.connect()]);
  expect(a).toBe(client);
  expect(b).toBe(client);
  expect(await client.connect()).toBe(client);
  expect(first.clientsConnected).toBe(1);

  await first.close(); // the server goes: the client's connection is lost
  await expect(client.remoteClass<EventRpcTest>('Event_RPC_Test').new({ data: 1 })).rejects.toMatchObject({
    code: 'RPC_NOT_CONNECTED',
  });

  await using second = await new Server({ host: '127.0.0.1', port: first.port, classes: testClasses }).start();
  await client.connect(); // anew, to the same port
  expect(await (await client.remoteClass<EventRpcTest>('Event_RPC_Test').new({ data: 'again' })).get_data()).toBe(
    'again',
  );
  expect(second.clientsConnected).toBe(1);

  await client.close();
  await client.close(); // harmless
  await expect(client.connect()).rejects.toMatchObject({ name: 'UsageError', code: 'RPC_CLOSED' });
  expect(events).toEqual(['connect', 'disconnect', 'connect', 'disconnect']);
});

it('releases a proxy leaving a `using` scope without waiting, and a client closed at once rejects nothing unhandled', async () => {
  await using server = await new Server({ host: '127.0.0.1', classes: testClasses }).start();
  const client = await new Client({ host: '127.0.0.1', port: server.port }).connect();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    {
      using object = await client.remoteClass<EventRpcTest>('Event_RPC_Test').new({ data: 1 });
      expect(await object.get_data()).toBe(1);
    } // client_destroy is on its way; nobody waits for its answer
    await client.close(); // before that answer: the server frees the connection's objects as it ends
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
