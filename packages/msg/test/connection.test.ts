import type { Channel } from '@rpc/loop';
import { nodeLoop } from '@rpc/loop-node';
import { Connection as MsgConnection, encodeFrame, MsgServer } from '@rpc/msg';
import { waitFor } from '@rpc/testkit';
import { local, rawSocket, text, u32 } from './helpers.js';

describe('Connection', () => {
  /** A real socket whose writes are counted, behind a server answering each frame with `answer(frame)`. */
  async function countedServer(answer: (msg: Uint8Array) => Uint8Array) {
    const counter = { writes: 0 };
    const counted = (channel: Channel): Channel => ({
      get local() {
        return channel.local;
      },
      get remote() {
        return channel.remote;
      },
      get secure() {
        return channel.secure;
      },
      get bufferedAmount() {
        return channel.bufferedAmount;
      },
      get closed() {
        return channel.closed;
      },
      write: (chunk, done) => {
        counter.writes++;
        return channel.write(chunk, done);
      },
      writev: (chunks, done) => {
        counter.writes++;
        return channel.writev(chunks, done);
      },
      pause: () => channel.pause(),
      resume: () => channel.resume(),
      close: () => channel.close(),
      destroy: (error) => channel.destroy(error),
      on: (event, listener) => channel.on(event, listener),
    });
    const listener = await nodeLoop.listen(local, (channel) => {
      new MsgConnection(counted(channel), {}, (conn, msg) => msg && conn.sendLater(answer(msg)));
    });
    return { listener, counter };
  }

  it('answers the frames of one received chunk with one write', async () => {
    // Each write wakes the peer: 100 small answers to frames that arrived together leave at once, as a raw server's.
    const { listener, counter } = await countedServer((msg) => msg);
    await using _listener = listener;
    await using socket = await rawSocket(listener);
    const frames = Buffer.concat(Array.from({ length: 100 }, (_, i) => encodeFrame(u32(i))));
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    socket.write(frames);
    await waitFor(() => received.length === frames.length, 'the 100 answers');
    expect(received.equals(frames)).toBe(true);
    expect(counter.writes).toBe(1);
  });

  it('writes the answers to one chunk early once 256 KiB of them wait', async () => {
    const { listener, counter } = await countedServer((msg) => Buffer.alloc(100 * 1024, msg[3] as number));
    await using _listener = listener;
    await using socket = await rawSocket(listener);
    const frames = Buffer.concat(Array.from({ length: 10 }, (_, i) => encodeFrame(u32(i))));
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.write(frames);
    await waitFor(() => received === 10 * (4 + 100 * 1024), 'the 10 answers');
    // Not one write at the end of the chunk (1 MB held), nor one per answer.
    expect(counter.writes).toBeGreaterThan(1);
    expect(counter.writes).toBeLessThan(10);
  });

  it('decodes frames a peer writes one byte per write', async () => {
    const received: string[] = [];
    await using server = await new MsgServer({
      ...local,
      login: () => (_conn, msg) => msg && received.push(text.decode(msg)),
    }).start();
    await using socket = await rawSocket(server);
    const bytes = Buffer.concat(['split', '', 'at every byte'].map((s) => encodeFrame(Buffer.from(s))));
    for (const byte of bytes) {
      socket.write(Uint8Array.of(byte));
      await new Promise((r) => setTimeout(r, 1));
    }
    await waitFor(() => received.length === 3, 'three frames');
    expect(received).toEqual(['split', '', 'at every byte']);
  });
});
