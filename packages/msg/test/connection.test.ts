import type { Channel } from '@rpc/loop';
import { nodeLoop } from '@rpc/loop-node';
import { Connection as MsgConnection, connect, encodeFrame, newServer, type Connection } from '@rpc/msg';
import { waitFor } from '@rpc/testkit';
import { echoServer, local, rawSocket, readU32, text, u32 } from './helpers.js';

describe('Connection', () => {
  it('lets either side speak first and receives with or without a handler', async () => {
    const server = await newServer(local, (conn) => {
      conn.sendLater('welcome');
      return (peer, msg) => msg && peer.sendLater(`echo ${text.decode(msg)}`);
    });
    const client = await connect(server.address);
    expect(text.decode((await client.receive()) as Uint8Array)).toBe('welcome');

    client.sendLater('a');
    expect(text.decode((await client.receive()) as Uint8Array)).toBe('echo a');

    // With a handler set, a waiting receive() is still served first, then the handler gets the rest.
    const handled: string[] = [];
    client.onMessage = (_conn, msg) => msg && handled.push(text.decode(msg));
    const next = client.receive();
    client.sendLater('b');
    client.sendLater('c');
    expect(text.decode((await next) as Uint8Array)).toBe('echo b');
    await waitFor(() => handled.length === 1, 'the handler');
    expect(handled).toEqual(['echo c']);

    await client.disconnect();
    await server.close();
  });

  it('gives messages that waited to a handler set later, in order', async () => {
    const server = await newServer(local, (conn) => {
      for (let i = 0; i < 5; i++) conn.sendLater(`m${i}`);
      return () => undefined;
    });
    const client = await connect(server.address);
    await waitFor(() => client.bufferedBytes === 0, 'time to receive');
    await new Promise((r) => setTimeout(r, 50));
    const got: string[] = [];
    client.onMessage = (_c, msg) => msg && got.push(text.decode(msg));
    await waitFor(() => got.length === 5, 'all five');
    expect(got).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    await client.disconnect();
    await server.close();
  });

  it('delivers 10,000 messages in order, both ways', async () => {
    const seenByServer: number[] = [];
    const server = await newServer(local, () => (conn, msg) => {
      if (msg === undefined) return;
      seenByServer.push(readU32(msg));
      conn.sendLater(msg);
    });
    const client = await connect(server.address);
    for (let i = 0; i < 10_000; i++) client.sendLater(u32(i));
    let expected = 0;
    for await (const msg of client) {
      expect(readU32(msg)).toBe(expected++);
      if (expected === 10_000) break;
    }
    expect(seenByServer).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    await client.disconnect();
    await server.close();
  });

  it('round-trips a 64 MiB message intact', async () => {
    const server = await echoServer();
    const client = await connect(server.address);
    const big = Buffer.alloc(64 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
    await client.sendNow(big);
    const back = (await client.receive()) as Uint8Array;
    expect(back.length).toBe(big.length);
    expect(Buffer.compare(Buffer.from(back.buffer, back.byteOffset, back.length), big)).toBe(0);
    await client.disconnect();
    await server.close();
  });

  it('answers the frames of one received chunk in writes of up to 32 messages', async () => {
    // A real socket whose writes are counted: the server answers 100 frames that arrive together with 4 writes (32, 32, 32, 4).
    let writes = 0;
    const counted = (channel: Channel): Channel => ({
      get local() { return channel.local; },
      get remote() { return channel.remote; },
      get secure() { return channel.secure; },
      get bufferedAmount() { return channel.bufferedAmount; },
      get closed() { return channel.closed; },
      write: (chunk, done) => (writes++, channel.write(chunk, done)),
      writev: (chunks, done) => (writes++, channel.writev(chunks, done)),
      pause: () => channel.pause(),
      resume: () => channel.resume(),
      close: () => channel.close(),
      destroy: (error) => channel.destroy(error),
      on: (event, listener) => channel.on(event, listener),
    });
    const listener = await nodeLoop.listen(local, (channel) => {
      new MsgConnection(counted(channel), {}, (conn, msg) => msg && conn.sendLater(msg));
    });
    const socket = await rawSocket(listener);
    const frames = Buffer.concat(Array.from({ length: 100 }, (_, i) => encodeFrame(u32(i))));
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    socket.write(frames);
    await waitFor(() => received.length === frames.length, 'the 100 answers');
    expect(received.equals(frames)).toBe(true);
    expect(writes).toBe(4);
    socket.destroy();
    await listener.close();
  });

  it('decodes frames a peer writes one byte per write', async () => {
    const received: string[] = [];
    const server = await newServer(local, () => (_conn, msg) => msg && received.push(text.decode(msg)));
    const socket = await rawSocket(server);
    const bytes = Buffer.concat(['split', '', 'at every byte'].map((s) => encodeFrame(Buffer.from(s))));
    for (const byte of bytes) {
      socket.write(Uint8Array.of(byte));
      await new Promise((r) => setTimeout(r, 1));
    }
    await waitFor(() => received.length === 3, 'three frames');
    expect(received).toEqual(['split', '', 'at every byte']);
    socket.destroy();
    await server.close();
  });

  it('resolves sendNow once the bytes are handed to the system, after what was queued', async () => {
    const order: string[] = [];
    const server = await newServer(local, () => (_conn, msg) => msg && order.push(text.decode(msg)));
    const client = await connect(server.address);
    client.sendLater('queued first');
    await client.sendNow('sent now');
    expect(client.queuedBytes).toBe(0);
    await waitFor(() => order.length === 2, 'both messages');
    expect(order).toEqual(['queued first', 'sent now']);
    await client.disconnect();
    await server.close();
  });

  it('ends receive() and iteration with undefined after a clean close, keeping messages that arrived first', async () => {
    const server = await newServer(local, (conn) => {
      conn.sendLater('last words');
      void conn.disconnect();
      return () => undefined;
    });
    const client = await connect(server.address);
    await client.done;
    expect(client.error).toBeUndefined();
    expect(text.decode((await client.receive()) as Uint8Array)).toBe('last words');
    expect(await client.receive()).toBeUndefined();
    await server.close();
  });

  it('calls the handler once with msg undefined when the peer leaves', async () => {
    const calls: Array<[Connection, Uint8Array | undefined, Error | undefined]> = [];
    const server = await echoServer();
    const client = await connect(server.address, (conn, msg, err) => calls.push([conn, msg, err]));
    client.sendLater('hi');
    await waitFor(() => calls.length === 1, 'the echo');
    await server.close();
    await waitFor(() => calls.length === 2, 'the close');
    expect(calls[1]).toEqual([client, undefined, undefined]);
  });

  it('refuses to send on a closed connection, oversize messages and a full queue', async () => {
    const server = await echoServer();
    const client = await connect(server.address, undefined, { maxPacketSize: 1000, maxQueueBytes: 3000 });
    expect(() => client.sendLater(new Uint8Array(1001))).toThrow(expect.objectContaining({ name: 'ConnectionError', code: 'MSG_MESSAGE_TOO_LARGE' }));
    client.sendLater(new Uint8Array(1000));
    client.sendLater(new Uint8Array(1000));
    expect(() => client.sendLater(new Uint8Array(1000))).toThrow(
      expect.objectContaining({ code: 'MSG_QUEUE_FULL', message: 'send queue holds 2008 bytes; maxQueueBytes is 3000' }),
    );
    await client.disconnect();
    expect(() => client.sendLater('late')).toThrow(expect.objectContaining({ code: 'MSG_CLOSED' }));
    await expect(client.sendNow('late')).rejects.toMatchObject({ code: 'MSG_CLOSED' });
    await server.close();
  });

  it('rejects invalid limits', async () => {
    const server = await echoServer();
    for (const maxPacketSize of [-1, 2 ** 32, 1.5]) {
      await expect(connect(server.address, undefined, { maxPacketSize })).rejects.toMatchObject({ code: 'MSG_INVALID_OPTION' });
    }
    await server.close();
  });

  it('closes only the connection whose handler throws', async () => {
    const server = await echoServer();
    let failure: Error | undefined;
    const bad = await connect(server.address, (_conn, msg, err) => {
      if (msg) throw new Error('handler bug');
      failure = err;
    });
    const good = await connect(server.address);
    bad.sendLater('x');
    await bad.done;
    expect(failure).toMatchObject({ code: 'MSG_HANDLER_FAILED', cause: new Error('handler bug') });
    good.sendLater('still here');
    expect(text.decode((await good.receive()) as Uint8Array)).toBe('still here');
    await good.disconnect();
    await server.close();
  });
});
