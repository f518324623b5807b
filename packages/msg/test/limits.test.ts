// What one connection may make a server spend, in time and memory: each limit reached once.
// Timeouts run in virtual time over the in-memory transport; backpressure needs real sockets.
import type { Channel } from '@rpc/loop';
import { MemoryTransport, RxLoop, runInVirtualTime } from '@rpc/loop-rxjs';
import { type Connection, MsgServer, type MsgServerOptions } from '@rpc/msg';
import { waitFor } from '@rpc/testkit';
import { VirtualTimeScheduler } from 'rxjs';
import { local, rawSocket, u32 } from './helpers.js';

/** Runs `work` with a server on a virtual-time loop; `conns` collects what the server accepted. */
function virtually(
  options: Omit<MsgServerOptions, 'login' | 'loop'>,
  work: (s: { server: MsgServer; loop: RxLoop; conns: Connection[]; raw(): Promise<Channel> }) => Promise<void>,
): Promise<void> {
  const scheduler = new VirtualTimeScheduler();
  const loop = new RxLoop({ scheduler, transport: new MemoryTransport(scheduler) });
  return runInVirtualTime(scheduler, async () => {
    const conns: Connection[] = [];
    await using server = await new MsgServer({
      host: 'memory',
      port: 0,
      loop,
      login: (conn) => {
        conns.push(conn);
        return () => undefined;
      },
      ...options,
    }).start();
    const opened: Channel[] = [];
    const raw = async (): Promise<Channel> => {
      const channel = await loop.connect(server.address);
      opened.push(channel);
      return channel;
    };
    try {
      await work({ server, loop, conns, raw });
    } finally {
      for (const channel of opened) channel.destroy();
    }
  });
}

const sleep = (loop: RxLoop, ms: number): Promise<void> => new Promise((resolve) => loop.timer(ms, resolve));
/** waitFor in virtual time: checks every virtual 10 ms, for at most a virtual minute. */
async function until(loop: RxLoop, done: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !done(); waited += 10) {
    if (waited > 60_000) throw new Error(`timed out waiting for ${what}`);
    await sleep(loop, 10);
  }
}
const header = (length: number): Uint8Array => u32(length);

describe('a connection that never finishes a message', () => {
  it('is closed messageTimeoutMs after the message began, however it trickles', () =>
    virtually({ messageTimeoutMs: 5000 }, async ({ loop, conns, raw }) => {
      const channel = await raw();
      const began = loop.now();
      channel.write(header(100));
      channel.write(new Uint8Array(10));
      await until(loop, () => conns.length === 1, 'the connection');
      const conn = conns[0] as Connection;
      while (!conn.closed) {
        await sleep(loop, 1000);
        if (!channel.closed) channel.write(new Uint8Array(1));
      }
      expect(conn.error).toMatchObject({ code: 'MSG_MESSAGE_TIMEOUT' });
      expect(loop.now() - began).toBeGreaterThanOrEqual(5000);
      expect(loop.now() - began).toBeLessThanOrEqual(6000);
    }));

  it('is left alone while each message arrives in time, however long the stream lasts', () =>
    virtually({ messageTimeoutMs: 5000 }, async ({ loop, conns, raw }) => {
      const channel = await raw();
      // 20 s of messages, each split over two writes 2 s apart, always with one begun.
      channel.write(header(8));
      for (let i = 0; i < 10; i++) {
        channel.write(new Uint8Array(4));
        await sleep(loop, 2000);
        channel.write(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 8]));
      }
      await until(loop, () => conns[0]?.stats().messagesIn === 10, 'ten messages');
      const conn = conns[0] as Connection;
      expect(conn.closed).toBe(false);
      expect(conn.stats()).toMatchObject({ messagesIn: 10, partialBytes: 4 }); // the next one's header
    }));
});

describe('idleTimeoutMs', () => {
  it('closes a connection that says nothing, and spares one that talks', () =>
    virtually({ idleTimeoutMs: 1000 }, async ({ loop, conns, raw }) => {
      const talker = await raw();
      await raw();
      await until(loop, () => conns.length === 2, 'both connections');
      const [talking, silent] = conns as [Connection, Connection];
      for (let i = 0; i < 10; i++) {
        talker.write(header(0));
        await sleep(loop, 500);
      }
      expect(silent.error).toMatchObject({ code: 'MSG_IDLE_TIMEOUT' });
      expect(talking.closed).toBe(false);
      await sleep(loop, 1500);
      expect(talking.error).toMatchObject({ code: 'MSG_IDLE_TIMEOUT' });
    }));

  it('is off by default', () =>
    virtually({}, async ({ loop, conns, raw }) => {
      await raw();
      await until(loop, () => conns.length === 1, 'the connection');
      await sleep(loop, 24 * 3600 * 1000);
      expect(conns[0]?.closed).toBe(false);
    }));
});

describe('connection limits', () => {
  it('closes connections past maxConnectionsPerAddress at once, and takes new ones as others leave', () =>
    virtually({ maxConnectionsPerAddress: 2 }, async ({ server, loop, conns, raw }) => {
      const errors: Error[] = [];
      server.on('error', (error) => errors.push(error));
      const first = await raw();
      await raw();
      const third = await raw();
      await until(loop, () => third.closed, 'the third connection to be closed');
      expect(conns).toHaveLength(2);
      expect(errors).toEqual([expect.objectContaining({ code: 'MSG_TOO_MANY_CONNECTIONS' })]);
      expect(server.stats()).toMatchObject({ connections: 2, refused: 1 });
      first.destroy();
      await until(loop, () => server.stats().connections === 1, 'the first to be gone');
      const fourth = await raw();
      await until(loop, () => conns.length === 3, 'the fourth connection');
      expect(fourth.closed).toBe(false);
    }));

  it('closes connections past maxConnections', () =>
    virtually({ maxConnections: 1 }, async ({ server, loop, raw }) => {
      await raw();
      const second = await raw();
      await until(loop, () => second.closed, 'the second connection to be closed');
      expect(server.stats()).toMatchObject({ connections: 1, refused: 1 });
    }));
});

describe('maxBufferedBytes', () => {
  it('closes the connection whose partial message would pass the server budget, and frees what each held', () =>
    virtually({ maxBufferedBytes: 1000 }, async ({ server, loop, conns, raw }) => {
      const a = await raw();
      a.write(header(900));
      a.write(new Uint8Array(600));
      await until(loop, () => server.stats().bufferedBytes === 604, 'the first partial message');
      const b = await raw();
      b.write(header(900));
      b.write(new Uint8Array(600));
      await until(loop, () => conns[1]?.closed === true, 'the second connection to be closed');
      expect(conns[1]?.error).toMatchObject({ code: 'MSG_SERVER_BUSY' });
      expect(conns[0]?.closed).toBe(false);
      expect(server.stats().bufferedBytes).toBe(604);
      a.destroy();
      await until(loop, () => server.stats().connections === 0, 'both to be gone');
      expect(server.stats()).toMatchObject({ bufferedBytes: 0, bytesIn: 2 * 604 });
    }));
});

describe('a peer that does not read', () => {
  it('has its requests paused past half the queue, and is closed if it stays that way', async () => {
    let answered = 0;
    let server_conn: Connection | undefined;
    await using server = await new MsgServer({
      ...local,
      maxQueueBytes: 1024 * 1024,
      sendTimeoutMs: 300,
      login: (conn) => {
        server_conn = conn;
        return (_conn, msg) => {
          if (msg === undefined) return;
          conn.sendLater(new Uint8Array(64 * 1024)); // a big answer to a small request
          answered++;
        };
      },
    }).start();
    await using socket = await rawSocket(server);
    socket.pause(); // reads nothing
    const request = new Uint8Array([0, 0, 0, 1, 7]);
    let sent = 0;
    let heldAtMost = 0;
    while (server_conn?.closed !== true && sent < 100_000) {
      socket.write(request);
      sent++;
      // What the server holds for this peer (its queue and its socket's buffer) is charged to the server's budget.
      if (server_conn?.closed === false) heldAtMost = Math.max(heldAtMost, server.stats().bufferedBytes);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(heldAtMost).toBeGreaterThan(512 * 1024);
    await waitFor(() => server_conn?.closed === true, 'the server to close the connection');
    expect(server_conn?.error).toMatchObject({ code: 'MSG_SEND_TIMEOUT' });
    // Reading stopped long before the queue limit: fewer answers than the 1 MiB queue plus socket buffers would need.
    expect(answered).toBeLessThan(sent);
    expect(server.stats()).toMatchObject({ connections: 0, bufferedBytes: 0 });
  });
});
