import type { Channel } from '@rpc/loop';
import { nodeLoop } from '@rpc/loop-node';
import { Connection as MsgConnection, encodeFrame, MsgServer } from '@rpc/msg';
import { waitFor } from '@rpc/testkit';
import { local, rawSocket, text, u32 } from './helpers.js';

describe('Connection', () => {
  it('answers the frames of one received chunk in writes of up to 32 messages', async () => {
    // A real socket whose writes are counted: the server answers 100 frames that arrive together with 4 writes (32, 32,
    // 32, 4).
    let writes = 0;
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
        writes++;
        return channel.write(chunk, done);
      },
      writev: (chunks, done) => {
        writes++;
        return channel.writev(chunks, done);
      },
      pause: () => channel.pause(),
      resume: () => channel.resume(),
      close: () => channel.close(),
      destroy: (error) => channel.destroy(error),
      on: (event, listener) => channel.on(event, listener),
    });
    await using listener = await nodeLoop.listen(local, (channel) => {
      new MsgConnection(counted(channel), {}, (conn, msg) => msg && conn.sendLater(msg));
    });
    await using socket = await rawSocket(listener);
    const frames = Buffer.concat(Array.from({ length: 100 }, (_, i) => encodeFrame(u32(i))));
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    socket.write(frames);
    await waitFor(() => received.length === frames.length, 'the 100 answers');
    expect(received.equals(frames)).toBe(true);
    expect(writes).toBe(4);
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
