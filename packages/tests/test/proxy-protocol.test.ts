import * as net from 'node:net';
import { Client } from '@rpc/client';
import { formatAddress } from '@rpc/loop';
import { Server, type ClassSpec } from '@rpc/server';
import { disposableServer, disposableSocket, waitFor } from '@rpc/testkit';
import { testClasses } from '../src/test-classes.js';

/** Loopback addresses other than 127.0.0.1 are the balancer: Linux routes all of 127/8 to lo. */
const BALANCER = '127.0.0.2';
const SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

/** Says which address the server sees for the client calling it. */
class Whoami {
  where(): string {
    const connection = Server.instance?.activeConnection;
    return connection === undefined ? 'nobody' : formatAddress(connection.remote);
  }
}

const classes: Record<string, ClassSpec> = {
  ...testClasses,
  Whoami: { impl: Whoami, methods: { new: '_constructor', where: 1 } },
};

const v1 = (host: string, port: number): Uint8Array =>
  new TextEncoder().encode(`PROXY TCP${host.includes(':') ? 6 : 4} ${host} ${host} ${port} 7000\r\n`);

/** A v2 PROXY header (command 1) for an IPv6 client, or LOCAL (command 0) as a balancer's own checks send. */
function v2(command: 0 | 1, ipv6?: number[], port = 0): Uint8Array {
  const body = command === 1 && ipv6 ? [...ipv6, ...ipv6, port >> 8, port & 0xff, 0x1b, 0x58] : [];
  return Uint8Array.from([...SIGNATURE, 0x20 | command, body.length ? 0x21 : 0, 0, body.length, ...body]);
}

/** A small balancer: each connection goes on to the server from BALANCER, after `header` (none when empty). */
async function relay(target: number, header: () => Uint8Array): Promise<net.Server & AsyncDisposable> {
  const server = disposableServer(
    net.createServer((client) => {
      const upstream = net.connect({ host: '127.0.0.1', port: target, localAddress: BALANCER });
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      const bytes = header();
      if (bytes.length > 0) upstream.write(bytes);
      client.pipe(upstream).pipe(client);
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

/** A raw socket to the server from `localAddress`; resolves once connected. */
async function rawFrom(localAddress: string, port: number): Promise<net.Socket & AsyncDisposable> {
  const socket = disposableSocket(net.connect({ host: '127.0.0.1', port, localAddress }));
  socket.setNoDelay(true);
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

const closed = (socket: net.Socket): Promise<void> =>
  socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));

interface Watched {
  readonly server: Server;
  readonly lines: string[];
  /** Why connections ended, from the server's `disconnect` and `error` events. */
  readonly errors: Array<Error | undefined>;
}

async function start(
  options: Partial<ConstructorParameters<typeof Server>[0]> = {},
): Promise<Watched & AsyncDisposable> {
  const lines: string[] = [];
  const errors: Array<Error | undefined> = [];
  const server = new Server({
    host: '127.0.0.1',
    port: 0,
    classes,
    logger: { log: (_level, line) => lines.push(line) },
    proxyProtocol: { from: [BALANCER] },
    ...options,
  });
  server.on('disconnect', (_connection, error) => errors.push(error));
  server.on('error', (error) => errors.push(error));
  await server.start();
  return { server, lines, errors, [Symbol.asyncDispose]: () => server.close() };
}

describe('the PROXY protocol', () => {
  it.each([
    ['v1 TCP4', () => v1('203.0.113.7', 40001), '203.0.113.7:40001'],
    ['v1 TCP6', () => v1('2001:db8::7', 40002), '[2001:db8::7]:40002'],
    ['v2 TCP6', () => v2(1, [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 7], 40003), '[2001:db8::7]:40003'],
  ])('from an allowed balancer, %s: the header names the client everywhere', async (_name, header, where) => {
    await using s = await start();
    await using balancer = await relay(s.server.port, header);
    await using client = await new Client({ host: '127.0.0.1', port: portOf(balancer) }).connect();
    const whoami = await client.remoteClass<Whoami>('Whoami').new();
    for (let i = 0; i < 20; i++) expect(await whoami.where()).toBe(where);
    expect(s.server.stats().perConnection.map((report) => report.remote)).toEqual([where]);
    expect(s.lines).toContainEqual(expect.stringMatching(new RegExp(`new connection from ${escapeRegExp(where)}$`)));
  });

  it('keeps the socket address for a v2 LOCAL header, as the balancer own checks send', async () => {
    await using s = await start();
    await using balancer = await relay(s.server.port, () => v2(0));
    await using client = await new Client({ host: '127.0.0.1', port: portOf(balancer) }).connect();
    const whoami = await client.remoteClass<Whoami>('Whoami').new();
    expect(await whoami.where()).toMatch(/^127\.0\.0\.2:\d+$/);
  });

  it('counts maxConnectionsPerAddress by the client the header names, not by the balancer', async () => {
    await using s = await start({ maxConnectionsPerAddress: 2 });
    const sockets = await Promise.all(
      ['203.0.113.1', '203.0.113.1', '203.0.113.2', '203.0.113.1'].map(async (host, i) => {
        const socket = await rawFrom(BALANCER, s.server.port);
        socket.write(v1(host, 1000 + i));
        await waitFor(() => s.server.stats().refused + s.server.connections.size > i, `connection ${i}`);
        return socket;
      }),
    );
    expect(s.server.stats().refused).toBe(1); // the third from 203.0.113.1
    expect([...s.server.connections].map((c) => formatAddress(c.remote)).sort()).toEqual([
      '203.0.113.1:1000',
      '203.0.113.1:1001',
      '203.0.113.2:1002',
    ]);
    await Promise.all(sockets.map((socket) => socket[Symbol.asyncDispose]()));
  });

  it('refuses a PROXY header from an address not allowed to send one, and serves it without', async () => {
    await using s = await start();
    for (const header of [v1('203.0.113.7', 1), v2(0)]) {
      await using raw = await rawFrom('127.0.0.1', s.server.port);
      raw.write(header);
      await closed(raw);
    }
    await waitFor(() => s.errors.length === 2, 'two refusals');
    for (const error of s.errors) {
      expect(error).toMatchObject({
        name: 'TransportError',
        code: 'MSG_PROXY_REFUSED',
        message: expect.stringMatching(/^a PROXY header from 127\.0\.0\.1:\d+, which is not allowed to send one$/),
        data: { address: '127.0.0.1' },
      });
    }
    expect(s.lines).toContainEqual(expect.stringMatching(/client disconnected: a PROXY header from 127\.0\.0\.1/));
    await using client = await new Client({ host: '127.0.0.1', port: s.server.port }).connect();
    expect(await (await client.remoteClass<Whoami>('Whoami').new()).where()).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('refuses a connection from an allowed balancer without a header, or slower than messageTimeoutMs', async () => {
    await using s = await start({ messageTimeoutMs: 300 });
    await using balancer = await relay(s.server.port, () => new Uint8Array(0));
    const client = new Client({ host: '127.0.0.1', port: portOf(balancer), connectTimeoutMs: 2000 });
    await expect(client.connect()).rejects.toThrow();
    await client.close();
    await using silent = await rawFrom(BALANCER, s.server.port);
    const started = Date.now();
    await closed(silent);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await waitFor(() => s.errors.length === 2, 'two refusals');
    expect(s.errors[0]).toMatchObject({
      name: 'ProtocolError',
      code: 'MSG_PROXY_HEADER_INVALID',
      message: expect.stringMatching(
        /^the connection from 127\.0\.0\.2:\d+: the connection did not begin with a PROXY/,
      ),
    });
    expect(s.errors[1]).toMatchObject({
      name: 'TransportError',
      code: 'MSG_PROXY_HEADER_TIMEOUT',
      data: { address: '127.0.0.2' },
    });
    expect(s.lines).toContainEqual(expect.stringContaining('sent no whole PROXY header within 300 ms'));
    expect(s.server.stats().errors).toMatchObject({ MSG_PROXY_HEADER_INVALID: 1, MSG_PROXY_HEADER_TIMEOUT: 1 });
  });

  it('still refuses 100 MB of garbage after a valid header by the packet limit, holding little memory', async () => {
    await using s = await start();
    await using raw = await rawFrom(BALANCER, s.server.port);
    const before = process.memoryUsage().arrayBuffers;
    raw.write(v1('203.0.113.9', 9));
    const garbage = new Uint8Array(1024 * 1024).fill(0xab);
    for (let sent = 0; sent < 100 && !raw.destroyed && !raw.closed; sent++) {
      if (!raw.write(garbage)) await Promise.race([new Promise((r) => raw.once('drain', r)), closed(raw)]);
    }
    await closed(raw);
    await waitFor(() => s.errors.length === 1, 'the refusal');
    expect(s.errors[0]).toMatchObject({ code: 'MSG_FRAME_TOO_LARGE', data: { declaredLength: 0xabababab } });
    expect(s.lines).toContainEqual(expect.stringMatching(/new connection from 203\.0\.113\.9:9$/));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('refuses an entry of proxyProtocol.from that is no address or network', async () => {
    await expect(start({ proxyProtocol: { from: ['balancer.local'] } })).rejects.toMatchObject({
      code: 'MSG_INVALID_OPTION',
    });
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[[\]().*+?^$\\]/g, '\\$&');
}
