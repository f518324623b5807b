import { CodecRegistry, ClientNegotiation } from '@rpc/codec';
import { jsonCodec } from '@rpc/codec-json';
import { ClassRegistry, Dispatcher, type Answer } from '@rpc/core';
import { Connection } from '@rpc/msg';
import { activeCall } from '../src/call.js';
import { ServerConnection, type ConnectionHost } from '../src/server-connection.js';
import { virtualWorld, type VirtualWorld } from './virtual.js';

// One client of the server, driven over the in-memory transport in virtual time: what it answers, in which
// order, when a deadline passes, when the client cancels, and what it does with bytes that are not a request.
class Slow {
  /** Why calls stopped early, and when. */
  static stops: string[] = [];
  /** Answers `value` after `ms` on the loop's clock, or stops when the call is cancelled. */
  wait(ms: number, value: unknown): Promise<unknown> {
    const call = activeCall.getStore();
    return new Promise((resolve) => {
      const timer = world?.loop.timer(Number(ms), () => resolve(value));
      call?.signal.addEventListener('abort', () => {
        timer?.cancel();
        Slow.stops.push(`${(call.signal.reason as { code?: string }).code} at ${world?.loop.now()}`);
        resolve('stopped');
      });
    });
  }
  big(n: number): string {
    return 'x'.repeat(n);
  }
}

let world: VirtualWorld | undefined;
const json = jsonCodec();

/** A server connection and a raw client that has negotiated JSON and made one Slow object: run it inside world.run. */
async function served(maxPacketSize = 1_000_000) {
  const { loop } = world as VirtualWorld;
  const logs: string[] = [];
  const host: ConnectionHost = {
    dispatcher: new Dispatcher(
      new ClassRegistry({ Slow: { impl: Slow, methods: { new: '_constructor', wait: 1, big: 1 } } }),
    ),
    formats: new CodecRegistry([json]),
    insecureFormatsOk: false,
    maxPacketSize,
    auth: undefined,
    loop,
    logLevel: 4,
    log: (level, message) => logs.push(`[${level}] ${message}`),
    called: () => undefined,
  };
  const { server, client } = await (world as VirtualWorld).pair();
  const conn = new Connection(server, { loop });
  const connection = new ServerConnection(1, conn, host);
  conn.onMessage = (_c, msg) => (msg === undefined ? connection.ended() : connection.receive(msg));
  const peer = new Connection(client, { loop });
  // Negotiate JSON, as any client does first.
  const negotiation = new ClientNegotiation({ formats: new CodecRegistry([json]) });
  let step = { reply: negotiation.start() } as { reply?: Uint8Array; codec?: unknown };
  while (step.codec === undefined) {
    await peer.sendNow(step.reply as Uint8Array);
    step = negotiation.receive((await peer.receive()) as Uint8Array);
  }
  const send = (request: Record<string, unknown>): void => peer.sendLater(json.encode(request));
  const next = async (): Promise<string> => {
    const answer = json.decode((await peer.receive()) as Uint8Array) as Answer;
    return `${JSON.stringify(answer)} at ${loop.now()}`;
  };
  send({ cmd: 'new', method: 'Slow::new', params: [] });
  const oid = (json.decode((await peer.receive()) as Uint8Array) as Answer).oid as string;
  return { loop, logs, connection, peer, send, next, oid };
}

/** Runs `test` in a fresh virtual world. */
function inVirtualTime<T>(
  test: (setup: Awaited<ReturnType<typeof served>>) => Promise<T>,
  maxPacketSize?: number,
): Promise<T> {
  world = virtualWorld();
  Slow.stops = [];
  return world.run(async () => test(await served(maxPacketSize)));
}

describe('ServerConnection', () => {
  it('answers requests without ids one at a time, in order, as Perl clients need', async () => {
    const answers = await inVirtualTime(async ({ send, next, oid }) => {
      send({ cmd: 'exec', oid, method: 'wait', params: [300, 'first'] });
      send({ cmd: 'exec', oid, method: 'wait', params: [100, 'second'] });
      return [await next(), await next()];
    });
    expect(answers).toEqual(['{"ok":1,"rc":["first"]} at 300', '{"ok":1,"rc":["second"]} at 400']);
  });

  it('answers requests with ids as each is done, stops one at its deadline, and one the client cancels', async () => {
    const answers = await inVirtualTime(async ({ send, next, oid, loop }) => {
      send({ cmd: 'exec', oid, method: 'wait', params: [300, 'slow'], id: 1 });
      send({ cmd: 'exec', oid, method: 'wait', params: [100, 'quick'], id: 2 });
      send({ cmd: 'exec', oid, method: 'wait', params: [1000, 'late'], id: 3, deadlineMs: 200 });
      send({ cmd: 'exec', oid, method: 'wait', params: [1000, 'dropped'], id: 4 });
      loop.timer(50, () => send({ cmd: 'cancel', target: 4 }));
      return [await next(), await next()];
    });
    // The calls past their deadline and cancelled are stopped (their signals abort with coded reasons) and not
    // answered.
    expect(answers).toEqual(['{"ok":1,"rc":["quick"],"id":2} at 100', '{"ok":1,"rc":["slow"],"id":1} at 300']);
    expect(Slow.stops).toEqual(['RPC_CANCELLED at 50', 'RPC_DEADLINE at 200']);
  });

  it('answers a request that does not decode, or is not a map, with an error and keeps serving', async () => {
    const answers = await inVirtualTime(async ({ peer, send, next, oid, logs }) => {
      peer.sendLater(Uint8Array.of(0x7b, 0x7b));
      peer.sendLater(json.encode([1, 2, 3]));
      send({ cmd: 'exec', oid, method: 'wait', params: [0, 'still here'] });
      return [await next(), await next(), await next(), logs.filter((l) => l.includes('Unexpected error')).length];
    });
    expect(answers[0]).toMatch(/^\{"ok":0,"msg":"Unexpected error on incoming RPC call: JSON: .*\} at 0$/);
    expect(answers[1]).toBe('{"ok":0,"msg":"Unexpected error on incoming RPC call: a request must be a map"} at 0');
    expect(answers[2]).toBe('{"ok":1,"rc":["still here"]} at 0');
    expect(answers[3]).toBe(1); // the first is logged; the rest are counted toward maxProtocolErrors
  });

  it('answers an answer over maxPacketSize with an error under rc, as Event::RPC, and keeps the connection', async () => {
    const answers = await inVirtualTime(async ({ send, next, oid }) => {
      send({ cmd: 'exec', oid, method: 'big', params: [5000] });
      send({ cmd: 'exec', oid, method: 'big', params: [10] });
      return [await next(), await next()];
    }, 1000);
    expect(answers).toEqual([
      '{"rc":0,"msg":"Response packed exceeds limit of 1000 bytes"} at 0',
      '{"ok":1,"rc":["xxxxxxxxxx"]} at 0',
    ]);
  });

  it('ends on the raw DISCONNECT text, and frees what the client held when it has gone', async () => {
    const outcome = await inVirtualTime(async ({ peer, connection }) => {
      const held = connection.objects.size;
      peer.sendLater('DISCONNECT\n');
      const closed = await peer.receive();
      await new Promise<void>((resolve) => (world as VirtualWorld).loop.timer(0, resolve));
      return { held, closed, after: connection.objects.size };
    });
    expect(outcome).toEqual({ held: 1, closed: undefined, after: 0 });
  });
});
