import { AsyncLocalStorage } from 'node:async_hooks';
import { ServerNegotiation, type Codec, type CodecRegistry } from '@rpc/codec';
import { DISCONNECT, ObjectTable, type Answer, type Dispatcher, type PeerFeatures, type Session } from '@rpc/core';
import type { Address, Loop } from '@rpc/loop';
import type { Connection } from '@rpc/msg';

/** What the server lends each connection. */
export interface ConnectionHost {
  readonly dispatcher: Dispatcher;
  readonly formats: CodecRegistry;
  readonly insecureFormatsOk: boolean;
  readonly maxPacketSize: number;
  readonly authRequired: boolean;
  /** Runs the per-call deadlines. */
  readonly loop: Loop;
  log(level: number, message: string): void;
}

/** The call being served, for Server.activeConnection and activeSignal: kept per async call chain, so concurrent calls each see their own. */
export const activeCall = new AsyncLocalStorage<{ readonly connection: ServerConnection; readonly signal: AbortSignal }>();

/** Calls of Perl clients cannot be cancelled. */
const NEVER = new AbortController().signal;
const FEATURES: PeerFeatures = { ids: true, cancel: true, deadlines: true };
const DISCONNECT_BYTES = new TextEncoder().encode(DISCONNECT);

function isDisconnect(msg: Uint8Array): boolean {
  return msg.length === DISCONNECT_BYTES.length && msg.every((b, i) => b === DISCONNECT_BYTES[i]);
}

/**
 * One client of the server (Event::RPC::Connection): its id, its user once
 * authenticated, the objects it was given, and the format it negotiated.
 * Requests without an id (Perl clients) are served one at a time, in order;
 * requests with an id (@rpc clients) run concurrently and answer with that id.
 */
export class ServerConnection implements Session {
  readonly cid: number;
  readonly objects = new ObjectTable();
  readonly features = FEATURES;
  authUser: string | undefined;
  readonly #conn: Connection;
  readonly #host: ConnectionHost;
  readonly #negotiation: ServerNegotiation;
  readonly #inFlight = new Map<number, AbortController>();
  #codec: Codec | undefined;
  #serial: Promise<void> = Promise.resolve();

  constructor(cid: number, conn: Connection, host: ConnectionHost) {
    this.cid = cid;
    this.#conn = conn;
    this.#host = host;
    this.#negotiation = new ServerNegotiation({ formats: host.formats, insecureFormatsOk: host.insecureFormatsOk });
  }

  get remote(): Address {
    return this.#conn.remote;
  }

  /** The negotiated format's name, once agreed. */
  get format(): string | undefined {
    return this.#codec?.name;
  }

  get authorized(): boolean {
    return !this.#host.authRequired || this.authUser !== undefined;
  }

  authenticate(): Answer {
    // Authentication arrives with @rpc/auth; until then, as Event::RPC without auth_required.
    return { ok: 1, msg: 'Not authorization required' };
  }

  disconnect(): Promise<void> {
    return this.#conn.disconnect();
  }

  /** Handles one message from the client. */
  receive(msg: Uint8Array): void {
    if (isDisconnect(msg)) {
      void this.#conn.disconnect();
      return;
    }
    if (this.#codec === undefined) return this.#negotiate(msg);
    let request: Record<string, unknown>;
    try {
      request = this.#codec.decode(msg) as Record<string, unknown>;
      if (request === null || typeof request !== 'object' || Array.isArray(request)) throw new Error('a request must be a map');
    } catch (error) {
      this.#host.log(1, `cid=${this.cid}: Unexpected error on incoming RPC call: ${(error as Error).message}`);
      this.#answer({ ok: 0, msg: `Unexpected error on incoming RPC call: ${(error as Error).message}` });
      return;
    }
    if (request.cmd === 'cancel') {
      this.#inFlight.get(Number(request.target))?.abort(new Error('cancelled by the client'));
      return;
    }
    const id = request.id;
    if (typeof id === 'number') this.#concurrent(id, request);
    else this.#serial = this.#serial.then(() => this.#serve(request, NEVER).then((answer) => this.#answer(answer)));
  }

  /** Frees everything the client held (it has gone). */
  close(): void {
    for (const controller of this.#inFlight.values()) controller.abort();
    this.objects.clear();
  }

  #negotiate(msg: Uint8Array): void {
    const step = this.#negotiation.receive(msg);
    if (step.reply) this.#conn.sendLater(step.reply);
    if (step.error) this.#host.log(1, `cid=${this.cid}: ${step.error.message}`);
    if (step.codec) {
      this.#codec = step.codec;
      this.#host.log(2, `cid=${this.cid}: message format ${step.codec.name}`);
    }
    if (step.request !== undefined) this.#serial = this.#serial.then(() => this.#serve(step.request as Record<string, unknown>, NEVER).then((a) => this.#answer(a)));
  }

  #concurrent(id: number, request: Record<string, unknown>): void {
    const controller = new AbortController();
    this.#inFlight.set(id, controller);
    const deadline = typeof request.deadlineMs === 'number' ? this.#host.loop.timer(request.deadlineMs, () => controller.abort(new Error('deadline exceeded'))) : undefined;
    void this.#serve(request, controller.signal).then((answer) => {
      deadline?.cancel();
      this.#inFlight.delete(id);
      if (!controller.signal.aborted) this.#answer({ ...answer, id });
    });
  }

  #serve(request: Record<string, unknown>, signal: AbortSignal): Promise<Answer> {
    this.#host.log(4, `cid=${this.cid}: RPC command: ${String(request.cmd)}`);
    return activeCall.run({ connection: this, signal }, () => this.#host.dispatcher.dispatch(request, this));
  }

  #answer(answer: Answer): void {
    if (this.#conn.closed || this.#codec === undefined) return;
    let bytes = this.#codec.encode(answer);
    const limit = this.#host.maxPacketSize;
    if (bytes.length > limit) {
      // As Event::RPC: the client gets an error (under `rc`, not `ok`), the connection stays usable.
      this.#host.log(1, `ERROR: response packet exceeds limit of ${limit} bytes`);
      bytes = this.#codec.encode({ rc: 0, msg: `Response packed exceeds limit of ${limit} bytes`, ...(answer.id === undefined ? {} : { id: answer.id }) });
    }
    this.#conn.sendLater(bytes);
  }
}
