import { ServerNegotiation, type Codec, type CodecRegistry } from '@rpc/codec';
import {
  DISCONNECT,
  ObjectTable,
  readRequest,
  RpcError,
  rpcError,
  type Answer,
  type Dispatcher,
  type IncomingRequest,
  type PeerFeatures,
  type Session,
} from '@rpc/core';
import type { LoginRequest } from './authenticator.js';
import type { Address, Loop } from '@rpc/loop';
import type { Connection } from '@rpc/msg';
import type { Authenticator, ConnectionAuth } from './authenticator.js';
import { activeCall, Call } from './call.js';

/** What the server lends each connection. */
export interface ConnectionHost {
  readonly dispatcher: Dispatcher;
  readonly formats: CodecRegistry;
  readonly insecureFormatsOk: boolean;
  readonly maxPacketSize: number;
  /** Present when a login is required. */
  readonly auth: Authenticator | undefined;
  /** Runs the per-call deadlines. */
  readonly loop: Loop;
  /** The highest level the logger keeps, so that per-request lines are not even built when they would be dropped. */
  readonly logLevel: number;
  log(level: number, message: string): void;
  /** Tells the server's `call` subscribers. */
  called(connection: ServerConnection, request: Readonly<IncomingRequest>): void;
}

const FEATURES: PeerFeatures = { ids: true, cancel: true, deadlines: true };
const WITH_SCRAM: PeerFeatures = { ...FEATURES, scram: true };
const DISCONNECT_BYTES = new TextEncoder().encode(DISCONNECT);

function isDisconnect(msg: Uint8Array): boolean {
  return msg.length === DISCONNECT_BYTES.length && msg.every((b, i) => b === DISCONNECT_BYTES[i]);
}

/**
 * One client of the server (Event::RPC::Connection): its id, its user once
 * authenticated, the objects it was given, and the format it negotiated.
 * Requests without an id (Perl clients) are answered one at a time, in order;
 * requests with an id (@rpc clients) run concurrently and answer with that id.
 */
export class ServerConnection implements Session, AsyncDisposable {
  readonly cid: number;
  readonly objects = new ObjectTable();
  readonly features: PeerFeatures;
  readonly #conn: Connection;
  readonly #login: ConnectionAuth | undefined;
  readonly #host: ConnectionHost;
  readonly #negotiation: ServerNegotiation;
  /** Calls with an id that have not answered yet, for `cancel`. */
  readonly #inFlight = new Map<number, Call>();
  /** Requests without an id waiting for the one before them to answer. */
  readonly #queue: IncomingRequest[] = [];
  #serving: Call | undefined;
  #codec: Codec | undefined;

  constructor(cid: number, conn: Connection, host: ConnectionHost) {
    this.cid = cid;
    this.#conn = conn;
    this.#host = host;
    this.#negotiation = new ServerNegotiation({ formats: host.formats, insecureFormatsOk: host.insecureFormatsOk });
    this.#login = host.auth?.forConnection(cid, conn.secure, () => void conn.close());
    this.features = host.auth?.scram ? WITH_SCRAM : FEATURES;
  }

  /** The user this connection logged in as (Event::RPC's auth_user). */
  get authUser(): string | undefined {
    return this.#login?.user;
  }

  /** True when the bytes travel over TLS. */
  get secure(): boolean {
    return this.#conn.secure;
  }

  get remote(): Address {
    return this.#conn.remote;
  }

  /** The negotiated format's name, once agreed. */
  get format(): string | undefined {
    return this.#codec?.name;
  }

  get authorized(): boolean {
    return this.#login === undefined || this.#login.user !== undefined;
  }

  authenticate(request: LoginRequest): Answer | Promise<Answer> {
    return this.#login?.answer(request) ?? { ok: 1, msg: 'Not authorization required' };
  }

  allows(className: string, method: string): boolean {
    return this.#login === undefined || this.#login.allows(className, method);
  }

  /** Ends the connection, after writing what it has queued. */
  close(): Promise<void> {
    return this.#conn.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Handles one message from the client. */
  receive(msg: Uint8Array): void {
    if (isDisconnect(msg)) {
      void this.#conn.close();
      return;
    }
    if (this.#codec === undefined) return this.#negotiate(msg);
    let request: IncomingRequest;
    try {
      const map = this.#codec.decode(msg);
      if (map === null || typeof map !== 'object' || Array.isArray(map)) throw new Error('a request must be a map');
      request = readRequest(map as Record<string, unknown>);
    } catch (error) {
      this.#host.log(1, `cid=${this.cid}: Unexpected error on incoming RPC call: ${(error as Error).message}`);
      this.#answer({ ok: 0, msg: `Unexpected error on incoming RPC call: ${(error as Error).message}` });
      return;
    }
    this.#request(request);
  }

  /** @internal The client has gone: frees everything it held and cancels what it was waiting for. */
  ended(): void {
    const gone = rpcError('RPC_DISCONNECTED', 'the client disconnected');
    for (const call of this.#inFlight.values()) call.cancel(gone);
    this.#serving?.cancel(gone);
    this.#queue.length = 0;
    this.#login?.close();
    this.objects.clear();
  }

  #request(request: IncomingRequest): void {
    const id = request.id;
    if (request.cmd === 'cancel') {
      if (this.authorized)
        this.#inFlight.get(request.target)?.cancel(rpcError('RPC_CANCELLED', 'cancelled by the client'));
    } else if (typeof id === 'number') {
      this.#serve(new Call(this, id), request);
    } else if (this.#serving === undefined) {
      this.#serve(new Call(this, undefined), request);
    } else {
      this.#queue.push(request);
    }
  }

  #negotiate(msg: Uint8Array): void {
    const step = this.#negotiation.receive(msg);
    if (step.reply) this.#conn.sendLater(step.reply);
    if (step.error) this.#host.log(1, `cid=${this.cid}: ${step.error.message}`);
    if (step.codec) {
      this.#codec = step.codec;
      this.#host.log(2, `cid=${this.cid}: message format ${step.codec.name}`);
    }
    if (step.request !== null && typeof step.request === 'object')
      this.#request(readRequest(step.request as Record<string, unknown>));
  }

  #serve(call: Call, request: IncomingRequest): void {
    if (this.#host.logLevel >= 4)
      this.#host.log(4, `cid=${this.cid}: RPC command: ${request.cmd === 'unknown' ? request.name : request.cmd}`);
    this.#host.called(this, request);
    if (call.id === undefined) this.#serving = call;
    else this.#inFlight.set(call.id, call);
    const deadlineMs = request.deadlineMs;
    if (deadlineMs !== undefined) {
      call.deadline = this.#host.loop.timer(deadlineMs, () =>
        call.cancel(rpcError('RPC_DEADLINE', `past the call's deadline of ${deadlineMs} ms`)),
      );
    }
    const answer = activeCall.run(call, () => this.#host.dispatcher.dispatch(request, this));
    if (answer instanceof Promise) void answer.then((a) => this.#finish(call, a));
    else this.#finish(call, answer);
  }

  #finish(call: Call, answer: Answer): void {
    call.deadline?.cancel();
    if (call.id === undefined) {
      this.#serving = undefined;
      this.#answer(answer);
      const next = this.#queue.shift();
      if (next !== undefined) this.#serve(new Call(this, undefined), next);
      return;
    }
    this.#inFlight.delete(call.id);
    if (call.cancelled) return; // the client stopped waiting
    answer.id = call.id;
    this.#answer(answer);
  }

  #answer(answer: Answer): void {
    if (this.#conn.closed || this.#codec === undefined) return;
    let bytes = this.#codec.encode(answer);
    const limit = this.#host.maxPacketSize;
    if (bytes.length > limit) {
      // As Event::RPC: the client gets an error (under `rc`, not `ok`), the connection stays usable.
      this.#host.log(1, `ERROR: response packet exceeds limit of ${limit} bytes`);
      bytes = this.#codec.encode({
        rc: 0,
        msg: `Response packed exceeds limit of ${limit} bytes`,
        ...(answer.id === undefined ? {} : { id: answer.id }),
      });
    }
    try {
      this.#conn.sendLater(bytes);
    } catch (error) {
      // The connection is closing (the client left, or a login limit closed it): nobody reads this answer.
      if (!(error instanceof RpcError && error.code === 'MSG_CLOSED')) throw error;
    }
  }
}
