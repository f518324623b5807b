import { TransportError, UsageError } from '@rpc/loop';
import { NatsLoop } from '@rpc/loop-nats';
import { waitFor } from '@rpc/testkit';
import { connect } from '@nats-io/transport-node';
import { type NatsServer, startNatsServer } from './nats-servers.js';

let nats: NatsServer;
beforeAll(async () => {
  nats = await startNatsServer();
});
afterAll(() => nats.kill());

const at = { host: '127.0.0.1', port: 0 };

it('refuses bad options with NATS_INVALID_OPTION', () => {
  for (const options of [{ subject: 'rpc.*' }, { prefix: 'a b' }, { queue: 'a.b' }, { windowBytes: 0 }]) {
    expect(() => new NatsLoop(options)).toThrow(expect.objectContaining({ code: 'NATS_INVALID_OPTION' }));
  }
  expect(() => new NatsLoop({ heartbeatMs: -1 })).toThrow(UsageError);
});

it('tells NATS_SERVERS_UNREACHABLE, LOOP_CONNECTION_REFUSED, LOOP_ADDRESS_IN_USE and LOOP_UNSUPPORTED', async () => {
  const nowhere = new NatsLoop({ servers: 'nats://127.0.0.1:1', nats: { timeout: 1000 } });
  await expect(nowhere.connect({ port: 1 })).rejects.toMatchObject({ code: 'NATS_SERVERS_UNREACHABLE' });
  const loop = new NatsLoop({ servers: nats.url });
  await expect(loop.connect({ host: '127.0.0.1', port: 7 })).rejects.toMatchObject({
    name: 'TransportError',
    code: 'LOOP_CONNECTION_REFUSED',
  });
  await using listener = await loop.listen(at, (channel) => channel.destroy());
  expect(listener.subject).toBe(`rpc.${(listener.address as { port: number }).port}`);
  await expect(loop.listen(listener.address, () => undefined)).rejects.toMatchObject({ code: 'LOOP_ADDRESS_IN_USE' });
  // Another loop joins the queue group on the same subject.
  await using other = await new NatsLoop({ servers: nats.url }).listen(listener.address, (c) => c.destroy());
  expect(other.address).toEqual(listener.address);
  await expect(loop.listen({ path: '/tmp/x.sock' }, () => undefined)).rejects.toMatchObject({
    code: 'LOOP_UNSUPPORTED',
  });
});

it("ends the peer's session with NATS_SESSION_RESET when one side is destroyed", async () => {
  const loop = new NatsLoop({ servers: nats.url });
  const errors: Array<TransportError | undefined> = [];
  let accepted = 0;
  await using listener = await loop.listen(at, (channel) => {
    accepted++;
    channel.on('close', (error) => errors.push(error));
  });
  const client = await new NatsLoop({ servers: nats.url }).connect(listener.address);
  expect(client.remote).toEqual({ host: '127.0.0.1', port: (listener.address as { port: number }).port });
  await waitFor(() => accepted === 1, 'the accept');
  client.destroy();
  await waitFor(() => errors.length === 1, 'the accepted end to close');
  expect(errors[0]).toBeInstanceOf(TransportError);
  expect(errors[0]).toMatchObject({ code: 'NATS_SESSION_RESET' });
});

it('reports a malformed open as a listener error (NATS_SESSION_BROKEN), and keeps listening', async () => {
  const loop = new NatsLoop({ servers: nats.url });
  const errors: unknown[] = [];
  await using listener = await loop.listen(at, () => undefined);
  listener.on('error', (error) => errors.push(error));
  const raw = await connect({ servers: nats.url });
  raw.publish(listener.subject, 'not json');
  await raw.flush();
  await raw.close();
  await waitFor(() => errors.length === 1, 'the error');
  expect(errors[0]).toMatchObject({ name: 'TransportError', code: 'NATS_SESSION_BROKEN' });
  const channel = await loop.connect(listener.address);
  channel.destroy();
});

it('ends every session with NATS_CONNECTION_CLOSED when the NATS connection closes for good', async () => {
  const own = await startNatsServer();
  const options = { servers: own.url, nats: { maxReconnectAttempts: 0 } };
  const loop = new NatsLoop(options);
  const closes: Array<TransportError | undefined> = [];
  await using listener = await loop.listen(at, (channel) => channel.on('close', (error) => closes.push(error)));
  const client = await new NatsLoop(options).connect(listener.address);
  client.on('close', (error) => closes.push(error));
  await own.kill();
  await waitFor(() => closes.length === 2, 'both ends to close', 15_000);
  expect(closes.map((error) => error?.code)).toEqual(['NATS_CONNECTION_CLOSED', 'NATS_CONNECTION_CLOSED']);
});
