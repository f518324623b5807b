import { ServerNegotiation, type Codec, type CodecRegistry } from '@rpc/codec';
import {
  answerError,
  failWith,
  Capabilities,
  connectionReport,
  KeptResults,
  NO_LIMITS,
  PendingCalls,
  DISCONNECT,
  Drain,
  ObjectTable,
  readRequest,
  RpcError,
  rpcError,
  type Answer,
  type Answering,
  type ConnectionReport,
  type Dispatcher,
  type IncomingRequest,
  type PeerFeatures,
  type Request,
  type RequestEnvelope,
  type Session,
} from '@rpc/core';
import type { LoginRequest } from './authenticator.js';
import type { Address, Loop, Timer } from '@rpc/loop';
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
  /** What one connection may hold and how long it may take (default CONNECTION_LIMITS); shared by all. */
  readonly limits?: ConnectionLimits;
  /** An error that ends a connection: logged and told to the server's listeners (counted once it has closed). */
  failed?(connection: ServerConnection, error: RpcError): void;
  /** Counts an error that ends nothing (a malformed request), for the server's stats. */
  counted?(code: string): void;
}

/** What one client may make the server hold, and for how long. */
export interface ConnectionLimits {
  /** Calls with ids (`@rpc` clients) served at once; more are answered with an error at once. */
  readonly maxCallsInFlight: number;
  /** Calls without ids (Perl clients) waiting for the one before them; past it the connection is closed. */
  readonly maxQueuedRequests: number;
  /** Object ids the connection holds at once; a `new` past it is answered with an error. */
  readonly maxObjects: number;
  /** References to its objects the connection holds at once, all ids together. */
  readonly maxReferences: number;
  /** Requests that do not decode before the connection is closed. */
  readonly maxProtocolErrors: number;
  /** Time from connecting to a negotiated format and, where required, a login (0: none). */
  readonly loginTimeoutMs: number;
  /** Time a call may run before the client is answered with an error and its signal aborts (0: none). */
  readonly callDeadlineMs: number;
  /** The server's functions, targets and streams an `@rpc` client may hold at once (capabilities). */
  readonly maxExports: number;
  /** The client's functions, targets and streams the server keeps stubs of at once (capabilities). */
  readonly maxImports: number;
  /** Values of a stream on their way or waiting to be read, either way (capabilities). */
  readonly streamWindow: number;
}

export const CONNECTION_LIMITS: ConnectionLimits = {
  maxCallsInFlight: 1024,
  maxQueuedRequests: 256,
  maxObjects: 10_000,
  maxReferences: 1_000_000,
  maxProtocolErrors: 5,
  loginTimeoutMs: 30_000,
  callDeadlineMs: 0,
  maxExports: 10_000,
  maxImports: 1_000,
  streamWindow: 64,
};

/** The largest message before negotiation and login are done: none of theirs comes near it. */
export const LOGIN_PACKET_SIZE = 64 * 1024;

const FEATURES: PeerFeatures = { ids: true, cancel: true, deadlines: true, capabilities: true };
const WITH_SCRAM: PeerFeatures = { ...FEATURES, scram: true };
const DISCONNECT_BYTES = new TextEncoder().encode(DISCONNECT);

function isDisconnect(msg: Uint8Array): boolean {
  return msg.length === DISCONNECT_BYTES.length && msg.every((b, i) => b === DISCONNECT_BYTES[i]);
}

/**
 * One client of the server (Event::RPC::Connection): its id, its user once
 * authenticated, the objects it was given, and the format it negotiated.
 * Requests without an id (Perl clients) are answered one at a time, in order;
 * requests with an id (`@rpc` clients) run concurrently and answer with that id.
 */
export class ServerConnection implements Session, AsyncDisposable {
  /** The server's number for the connection (Event::RPC's cid), from 1 up, in its log lines as `cid=`. */
  readonly cid: number;
  /** The objects this client holds, with their reference counts. */
  readonly objects: ObjectTable;
  readonly features: PeerFeatures;
  readonly #limits: ConnectionLimits;
  readonly #conn: Connection;
  readonly #login: ConnectionAuth | undefined;
  readonly #host: ConnectionHost;
  /** Until a format is agreed. */
  #negotiation: ServerNegotiation | undefined;
  /** Calls with an id that have not answered yet, for `cancel`. */
  /** Made at the first call with an id: Perl clients never need it. */
  #inFlight: Map<number, Call> | undefined;
  /** Requests without an id waiting for the one before them to answer. */
  readonly #queue: IncomingRequest[] = [];
  #serving: Call | undefined;
  #codec: Codec | undefined;
  /** Negotiated and, where required, logged in: the full packet size applies and the login clock stops. */
  #open = false;
  #loginTimer: Timer | undefined;
  #protocolErrors = 0;
  #callsServed = 0;
  /** Set by shutdown(): new requests are refused, and each call that ends tells it. */
  #drain: Drain | undefined;
  /** The references given and taken, once the client offered capabilities in its version request. */
  #capabilities: Capabilities | undefined;
  /** The client offered capabilities in its version request; the table is made when first needed. */
  #offered = false;
  /** The client offered `goaway` in its version request: it is told when the server drains. */
  #goAway = false;
  /** Told to go away, and not yet answered with its own `goaway`: requests it sent before may still be on the way. */
  #leaving = false;
  #kept: KeptResults | undefined;
  /** The server's calls of the client's functions and targets, waiting for their `return`. */
  #outgoing: PendingCalls<Answer> | undefined;

  /** @internal Made by the server for each connection it accepts. */
  constructor(cid: number, conn: Connection, host: ConnectionHost) {
    this.cid = cid;
    this.#conn = conn;
    this.#host = host;
    const limits = (this.#limits = host.limits ?? CONNECTION_LIMITS);
    this.objects = new ObjectTable(limits);
    const address = 'host' in conn.remote ? conn.remote.host : undefined;
    this.#login = host.auth?.forConnection(cid, conn.secure, () => void this.close(), address);
    this.features = host.auth?.scram ? WITH_SCRAM : FEATURES;
    this.applyPacketLimit();
    if (limits.loginTimeoutMs > 0) {
      this.#loginTimer = host.loop.timer(limits.loginTimeoutMs, () =>
        this.#end(rpcError('RPC_LOGIN_TIMEOUT', `no format and login within ${limits.loginTimeoutMs} ms`)),
      );
    }
  }

  /** The user this connection logged in as (Event::RPC's auth_user). */
  get authUser(): string | undefined {
    return this.#login?.user;
  }

  /** True when the bytes travel over TLS. */
  get secure(): boolean {
    return this.#conn.secure;
  }

  /** The client's address. */
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

  get capabilities(): Capabilities | undefined {
    if (!this.#offered) return undefined;
    return (this.#capabilities ??= this.#newCapabilities());
  }

  get kept(): KeptResults | undefined {
    return this.#kept;
  }

  signal(): AbortSignal | undefined {
    return activeCall.getStore()?.signal;
  }

  allows(className: string, method: string): boolean {
    return this.#login === undefined || this.#login.allows(className, method);
  }

  /** Ends the connection, after writing what it has queued. */
  close(): Promise<void> {
    this.#stopLoginClock();
    return this.#conn.close();
  }

  /**
   * @internal The largest message this connection takes now: small until negotiation and login are done, so that a
   * client nobody knows yet cannot make the server buffer or decode much.
   */
  applyPacketLimit(): void {
    const limit = this.#host.maxPacketSize;
    this.#conn.maxPacketSize = this.#open ? limit : Math.min(limit, LOGIN_PACKET_SIZE);
  }

  /**
   * @internal Closes once every call has answered, or after `timeoutMs` answering those still running with
   * RPC_SHUTDOWN (their signals abort); requests arriving meanwhile are refused. A client that understands it is
   * told first (`goaway`), so that it sends nothing new here and connects again.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    const drain = (this.#drain = new Drain());
    if (this.#goAway && this.#codec !== undefined && !this.#conn.closed) {
      // Its own `goaway` answers: after it, it sends nothing here, so no request it made is still on the way.
      this.#leaving = true;
      this.#conn.sendLater(this.#codec.encode({ cmd: 'goaway', msg: 'the server is shutting down' }));
    }
    const waiting = (): boolean => !this.#conn.closed && (this.#busy() || this.#leaving);
    if (!(await drain.wait(this.#host.loop, timeoutMs, waiting))) {
      const reason = rpcError('RPC_SHUTDOWN', `the server closed with the call still running after ${timeoutMs} ms`);
      // The queue first: the end of the call being served would start the next one.
      const waiting = this.#queue.splice(0).length;
      for (const call of [this.#serving, ...(this.#inFlight?.values() ?? [])]) if (call) this.#giveUp(call, reason);
      for (let n = 0; n < waiting; n++) this.#answer(failWith(reason));
    }
    await this.#conn.close();
  }

  /** @internal This connection's figures for the server's stats(). */
  report(): ConnectionReport {
    return connectionReport(this.cid, this.#conn.remote, this.#conn.stats(), {
      callsInFlight: (this.#inFlight?.size ?? 0) + (this.#serving === undefined ? 0 : 1),
      callsQueued: this.#queue.length,
      callsServed: this.#callsServed,
    });
  }

  /** close(), for `await using`. */
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
      if (map === null || typeof map !== 'object' || Array.isArray(map))
        throw rpcError('RPC_BAD_REQUEST', 'a request must be a map');
      request = readRequest(map as Record<string, unknown>);
    } catch (error) {
      return this.#malformed(error as Error);
    }
    this.#request(request);
  }

  /** As Event::RPC, the client is told and may go on; but only a few times, or it is closed. */
  #malformed(error: Error): void {
    this.#host.counted?.(error instanceof RpcError ? error.code : 'RPC_BAD_REQUEST');
    const text = `Unexpected error on incoming RPC call: ${error.message}`;
    if (++this.#protocolErrors > this.#limits.maxProtocolErrors) {
      const limit = this.#limits.maxProtocolErrors;
      return this.#end(rpcError('RPC_PROTOCOL_ERRORS', `more than ${limit} malformed requests; last: ${text}`));
    }
    if (this.#protocolErrors === 1) this.#host.log(1, `cid=${this.cid}: ${text}`); // the rest are counted
    this.#answer({ ok: 0, msg: text });
  }

  /** Ends the connection over `error`: counted, logged, reported; queued answers are dropped. */
  #end(error: RpcError): void {
    if (this.#conn.closed) return;
    if (this.#host.failed) this.#host.failed(this, error);
    else this.#host.log(1, `cid=${this.cid}: ${error.message}`);
    this.#conn.destroy(error);
  }

  #busy(): boolean {
    return this.#serving !== undefined || (this.#inFlight?.size ?? 0) > 0 || this.#queue.length > 0;
  }

  /** @internal The client has gone: frees everything it held and cancels what it was waiting for. */
  ended(): void {
    this.#stopLoginClock();
    this.#drain?.check();
    const gone = rpcError('RPC_DISCONNECTED', 'the client disconnected');
    for (const call of this.#inFlight?.values() ?? []) call.cancel(gone);
    this.#serving?.cancel(gone);
    this.#queue.length = 0;
    this.#login?.close();
    this.objects.clear();
    this.#capabilities?.close(gone);
    this.#outgoing?.rejectAll(gone);
    this.#kept?.clear();
  }

  #request(request: IncomingRequest): void {
    const id = request.id;
    if (request.cmd === 'goaway') {
      this.#leaving = false;
      return this.#drain?.check();
    }
    if (this.#offered && this.authorized && this.#capability(request)) return;
    if (request.cmd === 'version') {
      if (request.rpc?.capabilities === true) this.#offered = true;
      if (request.rpc?.goaway === true) this.#goAway = true;
    }
    if (request.cmd === 'cancel') {
      if (this.authorized)
        this.#inFlight?.get(request.target)?.cancel(rpcError('RPC_CANCELLED', 'cancelled by the client'));
    } else if (this.#drain !== undefined && !this.#leaving) {
      // Shutting down. (A client told to go away is still served until it answers: it sent those before it knew.)
      this.#answer({
        ok: 0,
        msg: 'the server is shutting down',
        code: 'RPC_SHUTDOWN',
        ...(id === undefined ? {} : { id }),
      });
    } else if (typeof id === 'number') {
      if ((this.#inFlight?.size ?? 0) < this.#limits.maxCallsInFlight) return this.#serve(new Call(this, id), request);
      const msg = `too many calls in flight (the limit is ${this.#limits.maxCallsInFlight})`;
      this.#answer({ ok: 0, msg, code: 'RPC_LIMIT', id });
    } else if (this.#serving === undefined) {
      this.#serve(new Call(this, undefined), request);
    } else if (this.#queue.length < this.#limits.maxQueuedRequests) {
      this.#queue.push(request);
    } else {
      // Answers without ids must keep their order: a refusal cannot jump the queue, so the connection goes.
      this.#end(rpcError('RPC_LIMIT', `more than ${this.#limits.maxQueuedRequests} requests waiting their turn`));
    }
  }

  /** References may travel both ways once the client has offered capabilities: its table, made at first use. */
  #newCapabilities(): Capabilities {
    return new Capabilities(
      {
        loop: this.#host.loop,
        call: (request) => this.#callClient(request),
        notify: (message) => this.#conn.sendLater(this.#requestBytes(message)),
      },
      this.#limits,
    );
  }

  /** Handles the capability protocol's one-way messages and answers; false for any other request. */
  #capability(request: IncomingRequest): boolean {
    switch (request.cmd) {
      case 'return': {
        const answer: Answer = { ok: request.ok, rc: request.rc };
        if (request.msg !== undefined) answer.msg = request.msg;
        if (request.code !== undefined) answer.code = request.code;
        if (request.refs === 1) answer.refs = 1;
        const waiting =
          request.id !== undefined &&
          (request.ok === 1
            ? this.#outgoing?.resolve(request.id, answer)
            : this.#outgoing?.reject(request.id, answerError(answer, 'the client refused the call')));
        // An answer nobody waits for any more: the references in it are given back.
        if (waiting !== true && request.refs === 1) this.capabilities?.discard(request.rc);
        return true;
      }
      case 'release':
      case 'pull':
      case 'push':
        this.capabilities?.receive(request);
        return true;
      case 'finish':
        this.#kept?.finish(request.ids);
        return true;
      default:
        return false;
    }
  }

  /** Calls one of the client's references; the client answers with `return`. */
  #callClient(request: Request & RequestEnvelope): Promise<Answer> {
    const outgoing = (this.#outgoing ??= new PendingCalls<Answer>({
      loop: this.#host.loop,
      maxCalls: this.#limits.maxCallsInFlight,
    }));
    const send = (id: number): void => {
      request.id = id;
      try {
        this.#conn.sendLater(this.#requestBytes(request));
      } catch (error) {
        if (request.cmd === 'call' && request.refs === 1) this.#capabilities?.unsent(request.params);
        throw error;
      }
    };
    const stopped = (id: number): void => {
      if (!this.#conn.closed) this.#conn.sendLater(this.#requestBytes({ cmd: 'cancel', target: id }));
    };
    // A call of the client's made while serving one of its calls ends with it: cancelled, past its deadline, gone.
    const serving = activeCall.getStore();
    const signal = serving?.connection === this ? serving.signal : undefined;
    return outgoing.call(send, signal === undefined ? NO_LIMITS : { signal }, stopped);
  }

  /** A request of the server's own, refused here if the client would refuse it for its size. */
  #requestBytes(request: object): Uint8Array {
    const bytes = (this.#codec as Codec).encode(request);
    const limit = this.#host.maxPacketSize;
    if (bytes.length > limit)
      throw rpcError('RPC_LIMIT', `message of ${bytes.length} bytes exceeds maxPacketSize ${limit}`);
    return bytes;
  }

  #negotiate(msg: Uint8Array): void {
    const negotiation = (this.#negotiation ??= this.#newNegotiation());
    const step = negotiation.receive(msg);
    if (step.reply) this.#conn.sendLater(step.reply);
    if (step.error) this.#host.log(1, `cid=${this.cid}: ${step.error.message}`);
    if (step.codec) {
      this.#codec = step.codec;
      this.#negotiation = undefined;
      this.#host.log(2, `cid=${this.cid}: message format ${step.codec.name}`);
      this.#checkOpen();
    }
    if (step.request !== null && typeof step.request === 'object')
      this.#request(readRequest(step.request as Record<string, unknown>));
  }

  /** Cancels the login timer and lets it go: an idle connection keeps nothing it no longer needs. */
  #stopLoginClock(): void {
    this.#loginTimer?.cancel();
    this.#loginTimer = undefined;
  }

  #newNegotiation(): ServerNegotiation {
    return new ServerNegotiation({ formats: this.#host.formats, insecureFormatsOk: this.#host.insecureFormatsOk });
  }

  readonly #dispatch = (request: IncomingRequest): Answering => this.#host.dispatcher.dispatch(request, this);

  #serve(call: Call, request: IncomingRequest): void {
    if (this.#host.logLevel >= 4)
      this.#host.log(4, `cid=${this.cid}: RPC command: ${request.cmd === 'unknown' ? request.name : request.cmd}`);
    this.#host.called(this, request);
    if (call.id === undefined) this.#serving = call;
    else (this.#inFlight ??= new Map()).set(call.id, call);
    const deadlineMs = request.deadlineMs;
    if (deadlineMs !== undefined) {
      call.deadline = this.#host.loop.timer(deadlineMs, () =>
        call.cancel(rpcError('RPC_DEADLINE', `past the call's deadline of ${deadlineMs} ms`)),
      );
    } else if (this.#limits.callDeadlineMs > 0) {
      const ms = this.#limits.callDeadlineMs;
      call.deadline = this.#host.loop.timer(ms, () =>
        this.#giveUp(call, rpcError('RPC_DEADLINE', `the call ran past the server's deadline of ${ms} ms`)),
      );
    }
    const answer = activeCall.run(call, this.#dispatch, request);
    if (request.pipe === 1 && call.id !== undefined && this.#offered)
      (this.#kept ??= new KeptResults(this.#limits.maxCallsInFlight)).keep(call.id, answer);
    if (answer instanceof Promise) {
      answer.then(
        (a) => this.#finish(call, a),
        (error: unknown) => this.#finish(call, { ok: 0, msg: String(error) }), // the dispatcher does not reject
      );
    } else this.#finish(call, answer);
  }

  /** The server stops waiting for `call`: its client is answered with `reason` now, and its signal aborts. */
  #giveUp(call: Call, reason: RpcError): void {
    this.#finish(call, failWith(reason));
    call.cancel(reason);
  }

  #finish(call: Call, answer: Answer): void {
    if (call.answered) return; // given up on already
    call.answered = true;
    call.deadline?.cancel();
    this.#callsServed++;
    if (!this.#open) this.#checkOpen();
    if (call.id === undefined) {
      this.#serving = undefined;
      this.#answer(answer);
      const next = this.#queue.shift();
      if (next !== undefined) this.#serve(new Call(this, undefined), next);
    } else {
      this.#inFlight?.delete(call.id);
      // A call the client cancelled, or whose own deadline passed, is not answered: the client stopped waiting.
      if (!call.cancelled) {
        answer.id = call.id;
        this.#answer(answer);
      } else if (answer.refs === 1) this.#capabilities?.unsent(answer.rc);
    }
    this.#drain?.check();
  }

  /** Once negotiated and logged in, the client may send messages of the full size and the login clock stops. */
  #checkOpen(): void {
    if (this.#codec === undefined || !this.authorized) return;
    this.#open = true;
    this.#stopLoginClock();
    this.applyPacketLimit();
  }

  #answer(answer: Answer): void {
    if (this.#conn.closed || this.#codec === undefined) return;
    try {
      this.#conn.sendLater(this.#encode(answer, this.#codec));
    } catch (error) {
      // Closing anyway (the client left, or a login limit closed it): nobody reads this answer.
      if (error instanceof RpcError && error.code === 'MSG_CLOSED') return;
      // The client is not reading (its queue or the server's memory is full): it cannot be told, so it goes.
      this.#end(rpcError('RPC_ANSWER_FAILED', `cannot queue an answer: ${(error as Error).message}`, { cause: error }));
    }
  }

  /** The answer's bytes; an answer the format cannot carry or over the size limit becomes an error for the client. */
  #encode(answer: Answer, codec: Codec): Uint8Array {
    let bytes: Uint8Array;
    try {
      bytes = codec.encode(answer);
    } catch (error) {
      const id = answer.id === undefined ? {} : { id: answer.id };
      if (answer.refs === 1) this.#capabilities?.unsent(answer.rc);
      this.#host.log(1, `cid=${this.cid}: cannot encode an answer in ${codec.name}: ${(error as Error).message}`);
      return codec.encode({ ok: 0, msg: `cannot send the answer: ${(error as Error).message}`, ...id });
    }
    const limit = this.#host.maxPacketSize;
    if (bytes.length <= limit) return bytes;
    // As Event::RPC: the client gets an error (under `rc`, not `ok`), the connection stays usable.
    if (answer.refs === 1) this.#capabilities?.unsent(answer.rc);
    this.#host.log(1, `ERROR: response packet exceeds limit of ${limit} bytes`);
    const id = answer.id === undefined ? {} : { id: answer.id };
    return codec.encode({ rc: 0, msg: `Response packed exceeds limit of ${limit} bytes`, ...id });
  }
}
