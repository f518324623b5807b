import * as net from 'node:net';
import { ClientNegotiation, CodecRegistry } from '@rpc/codec';
import { msgpackCodec } from '@rpc/codec-msgpack';
import { connect, type Connection } from '@rpc/msg';
import { startLoadServer, type LoadStats } from './load-server.js';

/** What a soak did and what the server held at worst. */
export interface SoakReport {
  readonly seconds: number;
  /** Clients that connected, called and left (half of them abruptly, with calls in flight). */
  readonly clients: number;
  readonly calls: number;
  /** Calls answered on connections that stayed: must equal `calls` minus those on abrupt ones. */
  readonly answered: number;
  /** Answers that were missing or came twice on connections that stayed. */
  readonly lost: number;
  readonly slowReaders: number;
  readonly oversizeFrames: number;
  readonly garbageSenders: number;
  readonly slowloris: number;
  readonly mapBombs: number;
  /** The server's errors by code over the run. */
  readonly errors: Readonly<Record<string, number>>;
  readonly peakRssMiB: number;
  /** What the server held once every client had gone: all zero. */
  readonly left: { connections: number; callsInFlight: number; bufferedBytes: number; objects: number };
}

const codec = msgpackCodec();
const formats = new CodecRegistry([codec]);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A negotiated Msg connection speaking Event::RPC in MessagePack. */
async function session(port: number): Promise<Connection> {
  const conn = await connect({ host: '127.0.0.1', port });
  const negotiation = new ClientNegotiation({ formats });
  let message = negotiation.start();
  for (;;) {
    await conn.sendNow(message);
    const step = negotiation.receive((await conn.receive()) as Uint8Array);
    if (step.codec) return conn;
    message = step.reply as Uint8Array;
  }
}

async function ask(conn: Connection, request: Record<string, unknown>): Promise<Record<string, unknown>> {
  await conn.sendNow(codec.encode(request));
  return codec.decode((await conn.receive()) as Uint8Array) as Record<string, unknown>;
}

/** A raw socket that writes `bytes` and waits until the server closes it (or `ms` pass). */
async function rawUntilClosed(port: number, write: (socket: net.Socket) => Promise<void>, ms: number): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  await new Promise((resolve) => socket.once('connect', resolve));
  await Promise.race([write(socket).catch(() => undefined), closed]);
  await Promise.race([closed, sleep(ms)]);
  socket.destroy();
}

/**
 * Runs every attack of the server's "Limits and defaults" at once against a server with its defaults, in its own
 * process, for `seconds`: client churn with abrupt disconnects, slow readers asking for large answers, 100 MiB frames
 * before login, garbage after negotiation, slowloris trickles and messages that decode to far more than their size.
 */
export async function soak(seconds: number, only?: readonly string[], fixtures?: string): Promise<SoakReport> {
  await using server = await startLoadServer({ maxConnectionsPerAddress: 1000 }, fixtures);
  const port = server.port;
  const until = Date.now() + seconds * 1000;
  const running = (): boolean => Date.now() < until;
  const counts = { clients: 0, calls: 0, answered: 0, lost: 0, slowReaders: 0, oversize: 0, garbage: 0 };
  const more = { slowloris: 0, mapBombs: 0 };
  let peakRss = 0;
  let stats: LoadStats | undefined;

  const churn = async (): Promise<void> => {
    for (let n = 0; running(); n++) {
      const conn = await session(port);
      const { oid } = await ask(conn, { cmd: 'new', method: 'Work::new', params: [] });
      for (let id = 1; id <= 10; id++)
        conn.sendLater(codec.encode({ cmd: 'exec', oid, method: id === 10 ? 'slow' : 'echo', params: [5, id], id }));
      counts.clients++;
      counts.calls += 10;
      if (n % 2 === 1) {
        conn.destroy();
        continue;
      }
      const seen = new Set<number>();
      for (let i = 0; i < 10; i++) seen.add((codec.decode((await conn.receive()) as Uint8Array) as { id: number }).id);
      counts.answered += seen.size;
      counts.lost += 10 - seen.size;
      await conn.close();
    }
  };
  const slowReader = async (): Promise<void> => {
    while (running()) {
      const conn = await session(port);
      const { oid } = await ask(conn, { cmd: 'new', method: 'Work::new', params: [] });
      // 4,000 small requests and a few large answers, none of them read (ten such readers held 720 MiB once).
      for (let id = 1; id <= 4000; id++) {
        const [method, params] = id % 500 === 0 ? ['big', [1024 * 1024]] : ['echo', [id]];
        conn.sendLater(codec.encode({ cmd: 'exec', oid, method, params, id }));
      }
      counts.slowReaders++;
      // Reads nothing: the server pauses it, then closes it after its send timeout (or the soak ends).
      await Promise.race([conn.done, sleep(Math.max(0, until - Date.now()))]);
      conn.destroy();
    }
  };
  const oversize = async (): Promise<void> => {
    while (running()) {
      counts.oversize++;
      await rawUntilClosed(
        port,
        async (socket) => {
          socket.write(Buffer.from([0x06, 0x40, 0, 0])); // a 100 MiB frame, before negotiation...
          socket.write(Buffer.alloc(64 * 1024, 0x80)); // ...of empty MessagePack maps
        },
        2000,
      );
    }
  };
  const garbage = async (): Promise<void> => {
    while (running()) {
      const conn = await session(port);
      counts.garbage++;
      for (let i = 0; i < 20 && !conn.closed; i++) conn.sendLater(Uint8Array.of(0xc1, 0xc1, 0xc1));
      await Promise.race([conn.done, sleep(2000)]);
      conn.destroy();
    }
  };
  const slowloris = async (): Promise<void> => {
    while (running()) {
      more.slowloris++;
      await rawUntilClosed(
        port,
        async (socket) => {
          socket.write(Buffer.from([0, 0, 0x10, 0])); // a 4 KiB message, one byte a second
          while (running() && !socket.destroyed) {
            socket.write(Buffer.from([0x80]));
            await sleep(1000);
          }
        },
        Math.max(0, until - Date.now()),
      );
    }
  };
  const mapBomb = async (): Promise<void> => {
    // 8 MiB of empty maps in one array, after negotiation: far more heap than bytes if decoded.
    const bomb = Buffer.alloc(5 + 8 * 1024 * 1024, 0x80);
    bomb.writeUInt8(0xdd, 0);
    bomb.writeUInt32BE(8 * 1024 * 1024, 1);
    while (running()) {
      const conn = await session(port);
      more.mapBombs++;
      await conn.sendNow(bomb).catch(() => undefined);
      await Promise.race([conn.receive().catch(() => undefined), conn.done, sleep(5000)]);
      conn.destroy();
    }
  };
  const sample = async (): Promise<void> => {
    while (running()) {
      stats = await server.stats();
      peakRss = Math.max(peakRss, stats.peakRss);
      await sleep(500);
    }
  };

  const attacks: Record<string, () => Array<Promise<void>>> = {
    churn: () => Array.from({ length: 8 }, churn),
    slowReaders: () => Array.from({ length: 10 }, slowReader),
    oversize: () => [oversize()],
    garbage: () => [garbage()],
    slowloris: () => Array.from({ length: 20 }, slowloris),
    mapBombs: () => [mapBomb()],
  };
  const chosen = only ?? Object.keys(attacks);
  const workers = [...chosen.flatMap((name) => attacks[name]?.() ?? []), sample()];
  await Promise.all(workers);
  const deadline = Date.now() + 10_000;
  do {
    stats = await server.stats(true);
    if (stats.connections === 0) break;
    await sleep(50);
  } while (Date.now() < deadline);
  peakRss = Math.max(peakRss, stats.peakRss);
  return {
    seconds,
    clients: counts.clients,
    calls: counts.calls,
    answered: counts.answered,
    lost: counts.lost,
    slowReaders: counts.slowReaders,
    oversizeFrames: counts.oversize,
    garbageSenders: counts.garbage,
    slowloris: more.slowloris,
    mapBombs: more.mapBombs,
    errors: stats.errors,
    peakRssMiB: Math.round(peakRss / 1024 / 1024),
    left: {
      connections: stats.connections,
      callsInFlight: stats.callsInFlight,
      bufferedBytes: stats.bufferedBytes,
      objects: Object.values(stats.objects).reduce((a, b) => a + b, 0),
    },
  };
}
