import * as net from 'node:net';
import { nodeLoop } from '@rpc/loop-node';
import { disposableSocket, waitFor } from '@rpc/testkit';
import { LogListener, logListenerExposure } from '../src/log-listener.js';

describe('LogListener', () => {
  it('streams lines to every client and counts them', async () => {
    const notes: string[] = [];
    await using listener = await new LogListener(
      nodeLoop,
      { host: '127.0.0.1', port: 0 },
      { log: (_l, m) => notes.push(m) },
    ).start();
    const { port } = listener.address as { port: number };
    await using first = disposableSocket(net.connect(port, '127.0.0.1'));
    await using second = disposableSocket(net.connect(port, '127.0.0.1'));
    const clients = [first, second];
    const seen = ['', ''];
    for (const [i, c] of clients.entries()) c.on('data', (chunk: Buffer) => (seen[i] += chunk.toString()));
    await waitFor(() => listener.clients === 2, 'both clients');
    listener.write('one line\n');
    await waitFor(() => seen.every((s) => s === 'one line\n'), 'the line at both');
    clients[0]?.destroy();
    await waitFor(() => listener.clients === 1, 'one client to leave');
    expect(notes.filter((n) => n.startsWith('New log client'))).toHaveLength(2);
    expect(notes.filter((n) => n.endsWith('disconnected'))).toHaveLength(1);
  });

  it('drops a client that stops reading once it is 1 MiB behind, and keeps serving the others', async () => {
    await using listener = await new LogListener(
      nodeLoop,
      { host: '127.0.0.1', port: 0 },
      { log: () => undefined },
    ).start();
    const { port } = listener.address as { port: number };
    await using stalled = disposableSocket(net.connect(port, '127.0.0.1'));
    stalled.pause(); // reads nothing: its bytes pile up on our side
    await using reader = disposableSocket(net.connect(port, '127.0.0.1'));
    let got = 0;
    reader.on('data', (chunk: Buffer) => (got += chunk.length));
    await waitFor(() => listener.clients === 2, 'both clients');
    const line = `${'x'.repeat(1023)}\n`;
    let sent = 0;
    for (let round = 0; round < 200 && listener.clients === 2; round++) {
      for (let i = 0; i < 256; i++) listener.write(line);
      sent += 256 * line.length;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(listener.clients).toBe(1);
    await waitFor(() => got >= sent - 1024 * 1024, 'the reader to keep up');
  });
});

describe('LogListener limits', () => {
  it('refuses clients past 64 at once, logged in or not, and closes those still logging in when closed', async () => {
    const notes: string[] = [];
    const listener = await new LogListener(
      nodeLoop,
      { host: '127.0.0.1', port: 0 },
      { log: (_l, m) => notes.push(m) },
      async () => false,
    ).start();
    const { port } = listener.address as { port: number };
    const sockets = Array.from({ length: 65 }, () => disposableSocket(net.connect(port, '127.0.0.1')));
    const closed = sockets.map((socket) => new Promise((resolve) => socket.on('close', resolve)));
    await Promise.race(closed); // the 65th, refused
    expect(notes.filter((n) => n.includes('refused: 64 log clients are connected'))).toHaveLength(1);
    await listener.close();
    await Promise.all(closed); // the other 64, never logged in, closed with the listener
  });

  it('passes the client address to the login check', async () => {
    const seen: Array<string | undefined> = [];
    await using listener = await new LogListener(
      nodeLoop,
      { host: '127.0.0.1', port: 0 },
      { log: () => undefined },
      async (_user, _password, address) => {
        seen.push(address);
        return true;
      },
    ).start();
    const { port } = listener.address as { port: number };
    await using client = disposableSocket(net.connect(port, '127.0.0.1'));
    client.write('AUTH fred secret\n');
    await waitFor(() => listener.clients === 1, 'the login');
    expect(seen).toEqual(['127.0.0.1']);
  });
});

describe('logListenerExposure', () => {
  it('warns about a log listener reachable from the network without TLS and login, never about loopback', () => {
    expect(logListenerExposure('127.0.0.1', false, false)).toBeUndefined();
    expect(logListenerExposure('::1', false, false)).toBeUndefined();
    expect(logListenerExposure('localhost', false, false)).toBeUndefined();
    expect(logListenerExposure('10.0.0.5', true, true)).toBeUndefined();
    expect(logListenerExposure(undefined, false, false)).toBe(
      'is reachable beyond this machine without TLS or login: anyone who connects reads the log',
    );
    expect(logListenerExposure('0.0.0.0', true, false)).toMatch(/without login/);
    expect(logListenerExposure('192.168.1.2', false, true)).toMatch(
      /without TLS: anyone who listens on the network reads the log/,
    );
  });
});
