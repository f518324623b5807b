import { freePortPair } from '@rpc/testkit';
import { Client, type ClientOptions } from '@rpc/client';
import { CodecRegistry, ClientNegotiation } from '@rpc/codec';
import { msgpackCodec } from '@rpc/codec-msgpack';
import type { Loop } from '@rpc/loop';
import { connect, type Connection } from '@rpc/msg';
import { Server, type ServerOptions } from '@rpc/server';
import { testClasses } from '../src/test-classes.js';

export const quiet = { log: (): void => undefined };

/** A connected server and client; close() (or `await using`) ends both, client first. */
export interface Pair extends AsyncDisposable {
  readonly server: Server;
  readonly client: Client;
  close(): Promise<void>;
}

/** A server on 127.0.0.1 exporting the contract classes, and a connected client; close() ends both. */
export async function pair(
  serverOptions: Partial<ServerOptions> = {},
  clientOptions: Partial<ClientOptions> = {},
): Promise<Pair> {
  const server = new Server({ host: '127.0.0.1', port: 0, logger: quiet, classes: testClasses, ...serverOptions });
  let client: Client | undefined;
  const close = async (): Promise<void> => {
    try {
      await client?.close();
    } finally {
      await server.close();
    }
  };
  try {
    await server.setupListeners();
    client = new Client({ host: '127.0.0.1', port: server.port, ...clientOptions });
    await client.connect();
    return { server, client, close, [Symbol.asyncDispose]: close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** What refusedCallsScenario needs of the contract's Event_RPC_Test proxy. */
interface Echoing {
  echo(...args: unknown[]): Promise<unknown>;
  get_data(): Promise<unknown>;
}

/**
 * Calls that cannot leave (over maxPacketSize, unencodable, cancelled before
 * or while waiting to be sent) each reject alone, whether they come first or
 * queue behind a call in flight; then 100 good calls are all answered, on
 * the same connection. `echoes` is a proxy whose client has maxPacketSize
 * `limit`; `aborted` makes the same proxy with an AbortSignal.
 */
export async function refusedCallsScenario(
  echoes: Echoing,
  limit: number,
  withSignal: (signal: AbortSignal) => Echoing,
): Promise<void> {
  const cyclic: unknown[] = [];
  cyclic.push(cyclic);
  const cancelled = new AbortController();
  cancelled.abort();
  for (const round of ['behind a call in flight', 'with nothing in flight']) {
    const inFlight = round === 'behind a call in flight' ? echoes.echo('in flight') : undefined;
    const whileQueued = new AbortController();
    const refused = [
      echoes.echo('x'.repeat(limit + 1)),
      echoes.echo(cyclic),
      withSignal(cancelled.signal).echo('cancelled before'),
      withSignal(whileQueued.signal).echo('cancelled while queued'),
    ];
    whileQueued.abort();
    const [tooBig, unencodable, before, queued] = await Promise.allSettled(refused);
    expect(tooBig).toMatchObject({ status: 'rejected', reason: { code: 'MSG_MESSAGE_TOO_LARGE' } });
    expect(unencodable).toMatchObject({
      status: 'rejected',
      reason: { name: 'UsageError', code: 'CODEC_UNENCODABLE' },
    });
    expect(before).toMatchObject({ status: 'rejected', reason: { code: 'RPC_CANCELLED' } });
    expect(queued).toMatchObject({ status: 'rejected', reason: { code: 'RPC_CANCELLED' } });
    if (inFlight !== undefined) expect(await inFlight).toBe('in flight');
    const numbers = Array.from({ length: 100 }, (_, i) => i);
    expect(await Promise.all(numbers.map((i) => echoes.echo(i)))).toEqual(numbers);
  }
}

/** A session speaking the protocol by hand; `await using` closes its connection. */
export interface RawSession extends AsyncDisposable {
  readonly conn: Connection;
  /** Sends a request and waits for the next answer. */
  ask(request: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Queues a request without waiting. */
  send(request: Record<string, unknown>): void;
  /** The next answer. */
  next(): Promise<Record<string, unknown>>;
}

/** Speaks the protocol by hand on a Msg connection, as an eavesdropper replaying captured bytes would. */
export async function rawSession(port: number, loop?: Loop): Promise<RawSession> {
  const conn = await connect({ host: '127.0.0.1', port }, undefined, loop === undefined ? {} : { loop });
  try {
    const codec = msgpackCodec();
    const negotiation = new ClientNegotiation({ formats: new CodecRegistry([codec]) });
    let message = negotiation.start();
    for (;;) {
      await conn.sendNow(message);
      const step = negotiation.receive((await conn.receive()) as Uint8Array);
      if (step.codec) break;
      message = step.reply as Uint8Array;
    }
    const send = (request: Record<string, unknown>): void => conn.sendLater(codec.encode(request));
    const next = async () => codec.decode((await conn.receive()) as Uint8Array) as Record<string, unknown>;
    const ask = (request: Record<string, unknown>) => {
      send(request);
      return next();
    };
    return { conn, ask, send, next, [Symbol.asyncDispose]: () => conn.close() };
  } catch (error) {
    await conn.close();
    throw error;
  }
}

/**
 * Starts the server `make(port)` builds on a port whose next one is free too (its log listener's). Another test may
 * still take port + 1 in between: then it tries again on another pair, a few times.
 */
export async function startServer(make: (port: number) => Server): Promise<Server> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await make(await freePortPair()).start();
    } catch (error) {
      if (attempt >= 5 || (error as { code?: string }).code !== 'LOOP_ADDRESS_IN_USE') throw error;
    }
  }
}
