// The load generators of bench:scale: the lean one (the real protocol to set up, then pre-encoded requests on a plain
// socket, answers counted by their frames) and the full @rpc/client, each in its own process.
import { once } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@rpc/client';
import { ClientNegotiation, CodecRegistry } from '@rpc/codec';
import { msgpackCodec } from '@rpc/codec-msgpack';
import type { EventRpcTest } from '../../src/test-classes.js';
import { ANSWER_TIMEOUT_MS, answerLines, cpuMicros, openInBatches, sum } from './children.js';

/** What drives the servers: the lean generator (pre-encoded requests on plain sockets), or the full @rpc/client. */
export type Generator = 'lean' | 'client';

interface Caller {
  get_data(): Promise<unknown>;
}

async function openCaller(port: number): Promise<Caller> {
  const client = new Client({ host: '127.0.0.1', port });
  await client.connect();
  return client.remoteClass<EventRpcTest, [string, string]>('Event_RPC_Test').new('data', 'bench');
}

export interface LoaderStats {
  readonly answered: number;
  /** Calls that failed (full client), or answers that were not a get_data result and broken sockets (lean). */
  readonly errors: number;
  readonly cpuMicros: number;
  /** Only after 'stop': calls sent and never answered once the generator stopped sending and waited (lean). */
  readonly unanswered?: number;
}

/** `payload` behind its 4-byte big-endian length: the Msg toolkit's framing, which Event::RPC speaks. */
function framed(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(4 + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, 4);
  return frame;
}

/** The big-endian length at `at`. */
function lengthAt(bytes: Uint8Array, at: number): number {
  const byte = (i: number): number => bytes[at + i] as number;
  return byte(0) * 0x100_0000 + ((byte(1) << 16) | (byte(2) << 8) | byte(3));
}

/** Reads a lean socket's bytes up to `end`: they are valid only during the call (net's onread buffer). */
type Reader = (bytes: Uint8Array, end: number) => void;

/** The buffer of every lean socket's reads (net's onread, without a Buffer and a 'data' event per read). */
const READS = Buffer.allocUnsafe(64 * 1024);

/** The frames of a socket one at a time, while a connection is set up (one request in flight at a time). */
function setupFrames(socket: Socket): { read: Reader; next(): Promise<Buffer>; detach(): void } {
  let buffered = Buffer.alloc(0);
  let waiting: ((frame: Buffer) => void) | undefined;
  let failure: Error | undefined;
  let failed: ((error: Error) => void) | undefined;
  const deliver = (): void => {
    if (waiting === undefined || buffered.length < 4) return;
    const length = buffered.readUInt32BE(0);
    if (buffered.length < 4 + length) return;
    const frame = buffered.subarray(4, 4 + length);
    buffered = buffered.subarray(4 + length);
    const resolve = waiting;
    waiting = undefined;
    resolve(frame);
  };
  const read = (bytes: Uint8Array, end: number): void => {
    buffered = Buffer.concat([buffered, bytes.subarray(0, end)]); // a copy: `bytes` is used again
    deliver();
  };
  const onEnd = (error?: Error): void => {
    failure = error instanceof Error ? error : new Error('the server closed the connection during setup');
    failed?.(failure);
  };
  socket.on('error', onEnd).on('close', onEnd);
  return {
    read,
    next: () =>
      new Promise<Buffer>((resolve, reject) => {
        if (failure !== undefined) return reject(failure);
        waiting = resolve;
        failed = reject;
        deliver();
      }),
    detach: () => {
      socket.off('error', onEnd).off('close', onEnd);
      if (buffered.length > 0) throw new Error(`${buffered.length} bytes came with nothing asked`);
    },
  };
}

const formats = new CodecRegistry([msgpackCodec()]);
/**
 * The lean generator's request ids, FIRST_ID to FIRST_ID + window - 1: each call in flight on a connection has its
 * own, and all take the same bytes in MessagePack (uint16), so every request frame has one length and so has every
 * answer.
 */
const FIRST_ID = 0x1000;

/**
 * One connection of the lean generator: set up with the real protocol, then a ring of pre-encoded get_data requests
 * (ids FIRST_ID + i % window, twice over so that any run of up to `window` of them is one slice) of which a slice is
 * written for the answers each read brings. Answers are counted by their frames; one of another length than a
 * get_data answer's (an error) counts as wrong.
 */
class LeanCaller {
  answered = 0;
  sent = 0;
  errors = 0;
  readonly #socket: Socket;
  readonly #window: number;
  readonly #ring: Buffer;
  readonly #requestLength: number;
  readonly #answerLength: number;
  #stopped = false;
  /** The frame being read: header bytes read so far (0 to 3) and the length they spell, then payload bytes left. */
  #headerBytes = 0;
  #length = 0;
  #rest = 0;

  constructor(socket: Socket, window: number, ring: Buffer, answerLength: number) {
    this.#socket = socket;
    this.#window = window;
    this.#ring = ring;
    this.#requestLength = ring.length / (2 * window);
    this.#answerLength = answerLength;
    socket.on('error', () => this.errors++);
  }

  start(): void {
    this.#send(this.#window);
  }

  /** Sends no more requests: the ones in flight are still counted. */
  stop(): void {
    this.#stopped = true;
  }

  #send(count: number): void {
    const at = (this.sent % this.#window) * this.#requestLength;
    this.#socket.write(this.#ring.subarray(at, at + count * this.#requestLength));
    this.sent += count;
  }

  /** Counts the answers that `bytes` ends, and sends as many requests. */
  read(bytes: Uint8Array, end: number): void {
    let answers = 0;
    let at = 0;
    while (at < end) {
      if (this.#rest > 0) {
        const take = Math.min(this.#rest, end - at);
        at += take;
        this.#rest -= take;
        if (this.#rest === 0) answers++;
        continue;
      }
      if (this.#headerBytes === 0 && end - at >= 4) {
        this.#length = lengthAt(bytes, at);
        at += 4;
      } else {
        this.#length = this.#length * 256 + (bytes[at++] as number);
        if (++this.#headerBytes < 4) continue;
        this.#headerBytes = 0;
      }
      if (this.#length !== this.#answerLength) this.errors++;
      this.#rest = this.#length;
      this.#length = 0;
      if (this.#rest === 0) answers++;
    }
    this.answered += answers;
    // More answers than calls in flight would break the ring's ids: the check after 'stop' reports it.
    if (answers > 0 && !this.#stopped) this.#send(Math.min(answers, this.#window));
  }
}

/** A lean connection: negotiated, ids agreed, one object made and one get_data call checked; then the ring. */
async function openLean(port: number, window: number): Promise<LeanCaller> {
  let reader: Reader = () => undefined;
  const callback = (end: number, bytes: Uint8Array): boolean => {
    reader(bytes, end);
    return true;
  };
  const socket = tcpConnect({ port, host: '127.0.0.1', noDelay: true, onread: { buffer: READS, callback } });
  const frames = setupFrames(socket);
  reader = frames.read;
  await once(socket, 'connect');
  const negotiation = new ClientNegotiation({ formats });
  let message = negotiation.start();
  for (;;) {
    socket.write(framed(message));
    const step = negotiation.receive(await frames.next());
    if (step.error) throw step.error;
    if (step.codec) {
      const codec = step.codec;
      const ask = async (request: Record<string, unknown>): Promise<[Record<string, unknown>, number]> => {
        socket.write(framed(codec.encode(request)));
        const answer = await frames.next();
        return [codec.decode(answer) as Record<string, unknown>, answer.length];
      };
      const [version] = await ask({ cmd: 'version', rpc: { ids: true, cancel: true, deadlines: true } });
      if ((version.rpc as { ids?: unknown } | undefined)?.ids !== true) throw new Error('the server has no ids');
      const [made] = await ask({ cmd: 'new', method: 'Event_RPC_Test::new', params: ['data', 'bench'], id: 1 });
      if (made.ok !== 1 || typeof made.oid !== 'string') throw new Error(`new: ${JSON.stringify(made)}`);
      const request = (id: number) => ({ cmd: 'exec', oid: made.oid, method: 'get_data', params: [], id });
      const [answer, answerLength] = await ask(request(FIRST_ID));
      const rc = answer.rc as unknown[] | undefined;
      if (answer.ok !== 1 || answer.id !== FIRST_ID || rc?.length !== 1 || rc[0] !== 'bench')
        throw new Error(`get_data: ${JSON.stringify(answer)}`);
      frames.detach();
      const ring = Array.from({ length: 2 * window }, (_, i) => framed(codec.encode(request(FIRST_ID + (i % window)))));
      if (new Set(ring.map((frame) => frame.length)).size !== 1) throw new Error('request frames of several lengths');
      const caller = new LeanCaller(socket, window, Buffer.concat(ring), answerLength);
      reader = (bytes, end) => caller.read(bytes, end);
      return caller;
    }
    message = step.reply as Uint8Array;
  }
}

/** Resolves once every lean connection has its answers, or after `ms`. */
async function drained(callers: readonly LeanCaller[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (callers.some((caller) => caller.answered < caller.sent) && Date.now() < deadline) await sleep(10);
}

/**
 * A load generator: `count` connections, each with one object; on 'go' keeps `window` get_data calls in flight on
 * each; every line is answered with the calls answered so far. 'stop' (lean) sends no more and waits for the answers
 * in flight, to tell how many never came. Exits when stdin ends, calls in flight or not.
 */
export async function runLoader(generator: Generator, port: number, count: number, window: number): Promise<void> {
  if (generator === 'lean') {
    const callers = await openInBatches(count, () => openLean(port, window));
    const total = (pick: (caller: LeanCaller) => number): number => sum(callers.map(pick));
    answerLines(callers.length, async (line): Promise<LoaderStats> => {
      if (line === 'go') for (const caller of callers) caller.start();
      if (line === 'stop') {
        for (const caller of callers) caller.stop();
        await drained(callers, ANSWER_TIMEOUT_MS / 2);
      }
      const stats = { answered: total((c) => c.answered), errors: total((c) => c.errors), cpuMicros: cpuMicros() };
      return line === 'stop' ? { ...stats, unanswered: total((c) => c.sent - c.answered) } : stats;
    });
    return;
  }
  const callers = await openInBatches(count, () => openCaller(port));
  let answered = 0;
  let errors = 0;
  // A failed call is not repeated: on a broken connection that would spin without end.
  const call = (caller: Caller): void =>
    void caller.get_data().then(
      () => {
        answered++;
        call(caller);
      },
      () => errors++,
    );
  answerLines(callers.length, (line): LoaderStats => {
    if (line === 'go') for (const caller of callers) for (let i = 0; i < window; i++) call(caller);
    return { answered, errors, cpuMicros: cpuMicros() };
  });
}
