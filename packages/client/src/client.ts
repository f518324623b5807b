import { ClientNegotiation, TaggedValue, type Codec } from '@rpc/codec';
import { authError, ScramClient } from '@rpc/auth';
import {
  type Answering,
  Capabilities,
  Connector,
  formatRegistry,
  methodKind,
  NO_LIMITS,
  oidClass,
  readRequest,
  REFERENCE_TAGS,
  RemoteError,
  rpcError,
  type Answer,
  type MethodKind,
  type PeerFeatures,
  type Request,
  type RequestEnvelope,
  withDeadline,
} from '@rpc/core';
import { Emitter, type Loop, type Subscription } from '@rpc/loop';
import { checkMaxPacketSize, connect, DEFAULT_MAX_PACKET_SIZE, defaultLoop, type Connection } from '@rpc/msg';
import type { CallOptions, ClientOptions, ReconnectOptions } from './options.js';
import { createProxy, paramsOf, type ProxyHost, type Receipt } from './proxy.js';
import { callOn, promisedArgs, remotePromise, waitingPromise } from './pipeline.js';
import { defaultLogger } from './platform.js';
import { oneOrMany, Requests, resultOf, resultsOf } from './requests.js';
import { KeepAlive } from './keep-alive.js';
import { clientTlsOptions } from './tls.js';
import type { RemoteClass, RemoteObject } from './types.js';

const FEATURES: PeerFeatures = { ids: true, cancel: true, deadlines: true, capabilities: true, goaway: true };

/** The server's calls of this client's functions and targets that may run at once; more are refused. */
const MAX_SERVED_CALLS = 1024;

type ObjectCall =
  | { cmd: 'new'; method: string; params: unknown[] }
  | { cmd: 'exec'; oid: string; method: string; params: unknown[]; on?: number };

/** A pipelined call's parent: its result, once its answer has been shaped. */
interface Parent {
  settled: boolean;
  result?: unknown;
  error?: Error;
}

/** How many references a client's connection holds either way (see {@link Client.references}). */
export interface ReferenceCounts {
  /** This client's functions, targets and streams the server holds. */
  readonly exports: number;
  /** The server's functions, targets and streams this client holds stubs of. */
  readonly imports: number;
}

/** The events of a {@link Client}, with their listeners' signatures: see {@link Client.on}. */
export interface ClientEvents {
  /** The connection is made, negotiated and logged in; the classes are loaded. */
  connect: () => void;
  /** The connection ended: by close() (no error) or by the server or the network (`error` says why). */
  disconnect: (error?: Error) => void;
  /**
   * Something went wrong that no call is waiting to hear: an answer that does not decode, a proxy's release that
   * failed.
   */
  error: (error: Error) => void;
  /** The server is draining (`goaway`): nothing new goes on this connection; with `reconnect`, a new one follows. */
  goaway: (reason: string) => void;
  /**
   * The objects (ids) of a connection that ended, now that the client has connected again: they lived on that
   * server, their proxies' calls reject with RPC_OBJECT_LOST, and the application makes them anew.
   */
  lost: (oids: readonly string[]) => void;
}

/**
 * An Event::RPC client: talks to Perl Event::RPC servers and to `@rpc`
 * servers. With an `@rpc` server it agrees on request ids, so many calls are
 * in flight at once and can be cancelled; with a Perl server calls go one
 * at a time, as the Perl protocol requires.
 */
export class Client implements ProxyHost, AsyncDisposable {
  readonly #options: ClientOptions;
  readonly #events = new Emitter<ClientEvents>();
  readonly #classes = new Map<string, Map<string, MethodKind>>();
  /** The live proxy of each object id, and what it holds on the server. */
  readonly #proxies = new Map<string, { readonly proxy: WeakRef<object>; readonly receipt: Receipt }>();
  readonly #collector = new FinalizationRegistry<Receipt>((receipt) => this.#collected(receipt));
  readonly #reportError: (error: Error) => undefined;
  #conn: Connection | undefined;
  #keepAlive: KeepAlive | undefined;
  /** Messages received, for the keep-alive. */
  #heard = 0;
  #codec: Codec | undefined;
  #requests: Requests | undefined;
  #features: PeerFeatures = {};
  #serverVersion: string | undefined;
  #maxPacketSize: number;
  readonly #connector = new Connector(() => this.#open());
  /** `connect` was emitted: `disconnect` follows when the connection ends. */
  #announced = false;
  /** References given and taken, with an `@rpc` server that agreed on capabilities. */
  #capabilities: Capabilities | undefined;
  /** The server's calls of our references running now. */
  #served = 0;
  /** Pipelined calls answered, whose kept results the server may drop (`finish`, sent once per turn). */
  #finished: number[] = [];
  /** Connected, negotiated, logged in and not told to go away: calls may go now. */
  #ready = false;
  /** close() was called: no reconnecting. */
  #closing = false;
  /** Connecting again (after `goaway` or a drop): resolves once connected, rejects when it gives up. */
  #reconnecting: Promise<void> | undefined;
  #reconnected: { resolve(): void; reject(error: Error): void } | undefined;
  /** Connections that have ended: the number of the current one, which receipts carry. */
  #generation = 0;
  /** Object ids of the connection that ended, told in `lost` once connected again. */
  #lostOids: string[] = [];

  constructor(options: ClientOptions) {
    this.#options = options;
    this.#maxPacketSize = checkMaxPacketSize(options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE);
    this.#reportError = (error) => {
      this.#options.errorCallback?.(this, error);
      return undefined;
    };
  }

  /** The negotiated message format. */
  get format(): string | undefined {
    return this.#codec?.name;
  }

  /** The Event::RPC version the server announced (`1.10`), once connected. */
  get serverVersion(): string | undefined {
    return this.#serverVersion;
  }

  /** Whether the server speaks the richer `@rpc` protocol (request ids, cancellation, deadlines). */
  get pipelined(): boolean {
    return this.#features.ids === true;
  }

  /**
   * References given and taken over the connection (with an `@rpc` server): `exports`, this client's functions,
   * targets and streams the server holds; `imports`, the server's this client holds stubs of.
   */
  get references(): ReferenceCounts {
    return { exports: this.#capabilities?.exports ?? 0, imports: this.#capabilities?.imports ?? 0 };
  }

  /** Whether a connection is open now. */
  get connected(): boolean {
    return this.#conn !== undefined && !this.#conn.closed;
  }

  /**
   * The largest message either way; must match the server's. May be changed at any time, as Event::RPC's
   * set_max_packet_size.
   */
  get maxPacketSize(): number {
    return this.#maxPacketSize;
  }

  /** Applies to the open connection from its next message; a value out of range throws MSG_INVALID_OPTION. */
  set maxPacketSize(bytes: number) {
    this.#maxPacketSize = checkMaxPacketSize(bytes);
    if (this.#conn !== undefined) this.#conn.maxPacketSize = bytes;
  }

  /**
   * Connects, negotiates the format, checks the version, logs in and loads
   * the class interfaces; resolves with the client. Again while connected is
   * harmless; after the connection is lost it connects anew; after close(),
   * RPC_CLOSED.
   */
  connect(): Promise<this> {
    return this.#connector.connect();
  }

  async #open(): Promise<this> {
    const o = this.#options;
    const tls = await clientTlsOptions(o);
    if (tls?.rejectUnauthorized === false) {
      this.#log(
        1,
        `WARNING: TLS verification is off for ${o.host ?? 'localhost'}:${o.port}: ` +
          "the connection is encrypted, but the server's identity is not checked",
      );
    }
    const conn = await connect({ host: o.host ?? 'localhost', port: o.port, ...(tls ? { tls } : {}) }, undefined, {
      loop: this.#loop,
      maxPacketSize: this.#maxPacketSize,
      ...(o.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: o.connectTimeoutMs }),
    });
    try {
      this.#codec = await this.#negotiate(conn);
    } catch (error) {
      conn.destroy();
      throw error;
    }
    const requests = new Requests(conn, this.#codec, this.#loop);
    this.#conn = conn;
    this.#requests = requests;
    conn.onMessage = (_conn, msg, error) =>
      msg === undefined ? this.#closed(requests, error) : this.#answer(requests, msg);
    try {
      const version = await this.#ask({ cmd: 'version', rpc: FEATURES });
      if (typeof version.protocol !== 'string' || version.protocol < '1.00') {
        throw rpcError('RPC_VERSION', `server speaks protocol ${String(version.protocol)}; at least 1.00 is needed`);
      }
      this.#serverVersion = String(version.version);
      const rpc = version.rpc;
      this.#features = rpc !== null && typeof rpc === 'object' ? (rpc as PeerFeatures) : {};
      requests.pipelined = this.#features.ids === true;
      if (this.#features.capabilities === true) {
        const capabilities = (this.#capabilities = this.#newCapabilities(requests));
        requests.unsent = (request) => 'params' in request && request.refs === 1 && capabilities.unsent(request.params);
      }
      if (o.authUser !== undefined) await this.#logIn(o.authUser, o.authPass ?? '');
      await this.#loadClasses();
    } catch (error) {
      await conn.close(); // a half-made connection is no use to anyone
      throw error;
    }
    this.#announced = true;
    this.#ready = true;
    this.#startKeepAlive(conn, requests);
    this.#events.emit('connect');
    const lost = this.#lostOids;
    this.#lostOids = [];
    if (lost.length > 0) this.#events.emit('lost', lost);
    return this;
  }

  #newCapabilities(requests: Requests): Capabilities {
    const o = this.#options;
    return new Capabilities(
      {
        loop: this.#loop,
        call: (request) => this.#send(request, undefined, undefined),
        notify: (message) => requests.notify(message),
      },
      {
        ...(o.maxExports === undefined ? {} : { maxExports: o.maxExports }),
        ...(o.maxImports === undefined ? {} : { maxImports: o.maxImports }),
        ...(o.streamWindow === undefined ? {} : { streamWindow: o.streamWindow }),
      },
    );
  }

  #startKeepAlive(conn: Connection, requests: Requests): void {
    const intervalMs = this.#options.keepAliveMs ?? 30_000;
    if (intervalMs === 0) return;
    const client = this;
    this.#keepAlive = new KeepAlive(
      {
        loop: this.#loop,
        get heard() {
          return client.#heard;
        },
        canPing: () => requests.pipelined || requests.pending === 0,
        ping: (deadlineMs) => requests.send({ cmd: 'version' }, { deadlineMs }),
        dead: (error) => {
          this.#events.emit('error', error);
          conn.destroy(error);
        },
      },
      intervalMs,
    );
  }

  /**
   * Disconnects (Event::RPC's disconnect), after writing what is queued; calls still waiting fail with
   * RPC_DISCONNECTED. The client connects no more.
   */
  async close(): Promise<void> {
    this.#closing = true;
    this.#reconnected?.reject(rpcError('RPC_CLOSED', 'the client was closed'));
    await this.#connector.close();
    await this.#conn?.close();
  }

  /** Subscribes to `connect`, `disconnect` and `error`. */
  on<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  /** close(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The constructors of a remote class (by its remote name or its classMap name), returning typed proxies. */
  remoteClass<T, A extends unknown[] = unknown[], S extends string = never>(name: string): RemoteClass<T, A, S> {
    const remote = Object.entries(this.#options.classMap ?? {}).find(([, local]) => local === name)?.[0] ?? name;
    const methods = this.#classes.get(remote);
    if (methods === undefined)
      throw rpcError(
        'RPC_UNKNOWN_CLASS',
        `the server exports no class '${name}'${this.#classes.size === 0 ? ' (not connected?)' : ''}`,
      );
    const constructors: Record<string, (...args: unknown[]) => Promise<RemoteObject<T>>> = {};
    for (const [method, kind] of methods) {
      if (kind !== '_constructor' && kind !== '_singleton') continue;
      const name = `${remote}::${method}`;
      const construct = (args: unknown[]): Promise<unknown> =>
        this.#objectCall({ cmd: 'new', method: name, params: args }, undefined, (answer) => this.#newProxy<T>(answer));
      constructors[method] = (...args) =>
        (this.#mustWait()
          ? waitingPromise(this.#whenReady(undefined, () => construct(args)))
          : construct(args)) as Promise<RemoteObject<T>>;
    }
    return constructors as RemoteClass<T, A, S>;
  }

  /** Calls `method` on the object `oid` (what proxies do). */
  exec(oid: string, method: string, args: unknown[], kind: MethodKind, options?: CallOptions): Promise<unknown> {
    if (!this.#proxies.has(oid)) {
      const lost = rpcError('RPC_OBJECT_LOST', `${oid} lived on a connection that has ended; make it anew`);
      return this.#reported(Promise.reject(lost));
    }
    if (this.#mustWait()) {
      const later = this.#whenReady(options, () => this.exec(oid, method, args, kind, options));
      return kind === '_object' ? waitingPromise(later) : later;
    }
    const request: ObjectCall = { cmd: 'exec', oid, method, params: args };
    if (kind === '_object')
      return this.#objectCall(request, options, options?.list ? this.#objectResults : this.#objectResult);
    return this.#reported(this.#call(request, options, this.#valuesShape(options)));
  }

  /** How a simple method's answer becomes what its caller gets: references become stubs, bound to the call's signal. */
  #valuesShape(options: CallOptions | undefined): (answer: Answer) => unknown {
    const capabilities = this.#capabilities;
    if (capabilities === undefined) return options?.list ? resultsOf : resultOf;
    const signal = options?.signal;
    return options?.list
      ? (answer) => capabilities.results(answer, signal)
      : (answer) => oneOrMany(capabilities.results(answer, signal));
  }

  /**
   * A call whose result is an object, returning a promise on which the object's methods can be called. With an
   * `@rpc` server it is pipelined: the server keeps the result until told (`finish`), and methods called on the
   * promise leave at once, naming this call (`on`), and run on its result.
   */
  #objectCall(
    request: ObjectCall,
    options: CallOptions | undefined,
    shape: (answer: Answer) => unknown,
  ): Promise<unknown> {
    if (this.#capabilities === undefined) {
      // A Perl server cannot pipeline: methods called on the promise wait for the object, then call it.
      return waitingPromise(this.#reported(this.#call(request, options, shape)));
    }
    const parent: Parent = { settled: false };
    const call = request as ObjectCall & RequestEnvelope;
    call.pipe = 1;
    const promise = this.#reported(
      this.#call(call, options, (answer) => {
        parent.result = shape(answer);
        parent.settled = true;
        return parent.result;
      }),
    );
    const id = call.id;
    if (id === undefined) return promise; // it failed before it was sent
    const finished = (): void => this.#finishLater(id);
    promise.then(finished, (error: Error): void => {
      parent.settled = true;
      parent.error = error;
      finished();
    });
    return remotePromise(
      promise,
      (method, args) => {
        if (parent.settled)
          return parent.result === undefined
            ? promise.then(() => callOn(undefined, method, args))
            : callOn(parent.result, method, args);
        return this.#objectCall({ cmd: 'exec', oid: '', on: id, method, params: args }, options, (answer) =>
          this.#dependentShape(parent, method, options)(answer),
        );
      },
      () => {
        if (parent.error !== undefined) throw parent.error; // the call it stands for failed: so does this one
        return parent.settled ? parent.result : new TaggedValue(REFERENCE_TAGS.result, [id]);
      },
    );
  }

  /** A pipelined call's answer is shaped by its method's kind, known once its parent's result (a proxy) is. */
  #dependentShape(parent: Parent, method: string, options: CallOptions | undefined): (answer: Answer) => unknown {
    const result = parent.result as { className?: unknown } | undefined;
    const className = typeof result?.className === 'string' ? result.className : undefined;
    const kind = className === undefined ? undefined : this.#classes.get(className)?.get(method);
    if (kind === '_object') return options?.list ? this.#objectResults : this.#objectResult;
    return this.#valuesShape(options);
  }

  /** Tells the server, once per turn, which kept results it may drop. */
  #finishLater(id: number): void {
    if (this.#finished.push(id) > 1) return;
    this.#loop.defer(() => {
      const ids = this.#finished;
      this.#finished = [];
      if (!this.connected) return;
      try {
        this.#requests?.notify({ cmd: 'finish', ids });
      } catch (error) {
        this.#events.emit('error', error as Error);
      }
    });
  }

  /** Tells the server to free what a proxy holds (what releasing a proxy does): one client_destroy per receipt. */
  async release(receipt: Receipt): Promise<void> {
    this.#collector.unregister(receipt);
    this.#forget(receipt);
    await this.#destroy(receipt);
  }

  /**
   * release() without waiting (a proxy's `Symbol.dispose`, for `using`): a failure is an `error` event while
   * connected, and nothing once the connection has gone, since the server frees a connection's objects as it ends.
   */
  releaseLater(receipt: Receipt): void {
    this.release(receipt).catch((error: Error) => this.connected && this.#events.emit('error', error));
  }

  /**
   * Sends one request of the Event::RPC protocol and resolves with its
   * answer; rejects with a RemoteError (RPC_REMOTE) when the server says no,
   * a CancelError when the call is cancelled or passes its deadline, a
   * TransportError when the connection goes.
   */
  request(request: Request, options?: CallOptions): Promise<Answer> {
    if (this.#mustWait()) return this.#whenReady(options, () => this.request(request, options));
    return this.#ask(request, options);
  }

  /** request() at once, whatever the state: the requests that open a connection. */
  #ask(request: Request, options?: CallOptions): Promise<Answer> {
    return this.#send({ ...request }, options, undefined); // a copy: the id and deadline are written into it
  }

  /** Calls wait for a new connection: the client is connecting again, or was told to go away and will. */
  #mustWait(): boolean {
    return !this.#ready && this.#reconnecting !== undefined;
  }

  /** `go()` once connected again; RPC_NOT_CONNECTED past `waitMs`, or when connecting gives up; the call's signal. */
  #whenReady<R>(options: CallOptions | undefined, go: () => Promise<R>): Promise<R> {
    const reconnecting = this.#reconnecting ?? Promise.resolve();
    const waitMs = this.#reconnectOptions.waitMs;
    return new Promise<void>((resolve, reject) => {
      const timer = this.#loop.timer(waitMs, () =>
        reject(rpcError('RPC_NOT_CONNECTED', `not connected again within ${waitMs} ms`)),
      );
      const signal = options?.signal;
      const abort = (): void => reject(rpcError('RPC_CANCELLED', 'call cancelled', { cause: signal?.reason }));
      if (signal?.aborted) abort();
      signal?.addEventListener('abort', abort, { once: true });
      reconnecting.then(resolve, reject).finally(() => {
        timer.cancel();
        signal?.removeEventListener('abort', abort);
      });
    }).then(go);
  }

  get #reconnectOptions(): Required<ReconnectOptions> {
    const given = typeof this.#options.reconnect === 'object' ? this.#options.reconnect : {};
    return { initialDelayMs: 100, maxDelayMs: 5000, maxAttempts: 20, waitMs: 10_000, ...given };
  }

  /** The server drains: nothing new goes on this connection; with `reconnect`, calls wait for the next one. */
  #goAway(requests: Requests, reason: string): void {
    this.#ready = false;
    // The answer: nothing more comes from here, so the server knows no request of ours is still on its way.
    try {
      requests.notify({ cmd: 'goaway', msg: 'leaving' });
    } catch {
      // The connection is going anyway.
    }
    if (this.#options.reconnect) this.#expectReconnect();
    this.#events.emit('goaway', reason);
  }

  /** Calls from now on wait for the connection that #reconnect makes. */
  #expectReconnect(): void {
    if (this.#reconnecting !== undefined || this.#closing) return;
    this.#reconnecting = new Promise<void>((resolve, reject) => (this.#reconnected = { resolve, reject }));
    this.#reconnecting.catch(() => undefined); // waiting calls hear of a failure; nobody else need
  }

  /** Connects again with backoff (±20% jitter spreads many clients); gives up after maxAttempts. */
  #reconnect(attempt = 0): void {
    const { initialDelayMs, maxDelayMs, maxAttempts } = this.#reconnectOptions;
    const delay =
      attempt === 0 ? 0 : Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4);
    this.#loop.timer(delay, () => {
      if (this.#closing) return;
      this.#connector.connect().then(
        () => {
          const settled = this.#reconnected;
          this.#reconnecting = undefined;
          this.#reconnected = undefined;
          settled?.resolve();
        },
        (error: Error) => {
          if (this.#closing) return;
          if (attempt + 1 < maxAttempts) return this.#reconnect(attempt + 1);
          const settled = this.#reconnected;
          this.#reconnecting = undefined;
          this.#reconnected = undefined;
          const failure = rpcError('RPC_NOT_CONNECTED', `could not connect again after ${maxAttempts} attempts`, {
            cause: error,
          });
          settled?.reject(failure);
          this.#events.emit('error', failure);
        },
      );
    });
  }

  /** Sends `request` (which it may write into) and resolves with its answer as `shape` makes it. */
  #send<R>(
    request: Request & RequestEnvelope,
    options: CallOptions | undefined,
    shape: ((answer: Answer) => R) | undefined,
  ): Promise<R> {
    const requests = this.#requests;
    if (requests === undefined || !this.connected)
      return Promise.reject(rpcError('RPC_NOT_CONNECTED', 'not connected'));
    return requests.send(request, withDeadline(options ?? NO_LIMITS, this.#options.deadlineMs), shape);
  }

  /**
   * A `new` or `exec` request, proxies among its params turned into object references, and with an `@rpc` server
   * functions, targets and streams into references the server can call.
   */
  #call<R>(
    request: ObjectCall & RequestEnvelope,
    options: CallOptions | undefined,
    shape: (answer: Answer) => R,
  ): Promise<R> {
    try {
      request.params = paramsOf(promisedArgs(request.params));
      if (this.#capabilities !== undefined) {
        const { values, refs } = this.#capabilities.encode(request.params);
        request.params = values;
        if (refs) request.refs = 1;
      }
    } catch (error) {
      return Promise.reject(error); // a released proxy among the arguments, or a reference past the limit
    }
    const sent = this.#send(request, options, shape);
    // Refused before it left (cancelled already, too many calls): the references it counted were never handed over.
    if (request.refs === 1 && request.id === undefined) this.#capabilities?.unsent(request.params);
    return sent;
  }

  #newProxy<T>(answer: Answer): RemoteObject<T> {
    return this.#proxy(String(answer.oid)) as RemoteObject<T>;
  }
  readonly #objectResults = (answer: Answer): unknown[] =>
    resultsOf(answer).map((value) => this.#proxiesOneLevel(value));
  readonly #objectResult = (answer: Answer): unknown => oneOrMany(this.#objectResults(answer));

  get #loop(): Loop {
    return this.#options.loop ?? defaultLoop();
  }

  #log(level: number, message: string): void {
    (this.#options.logger ?? defaultLogger)?.log(level, message);
  }

  /**
   * Logs in: by SCRAM-SHA-256 when the server offers it (the token never
   * travels, and a recorded exchange cannot be replayed), else with
   * Event::RPC's `auth` command and the token, as the Perl client does.
   */
  async #logIn(user: string, pass: string): Promise<void> {
    try {
      if (this.#features.scram) {
        const scram = new ScramClient(user, pass);
        const challenge = await this.#ask({ cmd: 'auth_scram', msg: scram.first() });
        const signature = await this.#ask({ cmd: 'auth_scram', msg: await scram.final(String(challenge.msg)) });
        scram.verify(String(signature.msg));
      } else {
        await this.#ask({ cmd: 'auth', user, pass });
      }
    } catch (error) {
      if (error instanceof RemoteError) throw authError('AUTH_FAILED', error.message, { cause: error });
      throw error;
    }
  }

  async #negotiate(conn: Connection): Promise<Codec> {
    const o = this.#options;
    const formats = formatRegistry(o.messageFormats);
    const negotiation = new ClientNegotiation({ formats, insecureFormatsOk: o.insecureFormatsOk });
    let message = negotiation.start();
    for (;;) {
      await conn.sendNow(message);
      const reply = await conn.receive();
      if (reply === undefined)
        throw rpcError('RPC_DISCONNECTED', 'the server closed the connection during format negotiation');
      const step = negotiation.receive(reply);
      if (step.error) throw step.error;
      if (step.codec) return step.codec;
      message = step.reply as Uint8Array;
    }
  }

  async #loadClasses(): Promise<void> {
    const record = (name: string, info: unknown): void => {
      const methods = new Map<string, MethodKind>();
      for (const [method, kind] of Object.entries((info ?? {}) as Record<string, unknown>)) {
        const known = methodKind(kind);
        if (known !== undefined) methods.set(method, known);
      }
      this.#classes.set(name, methods);
    };
    if (this.#options.classes !== undefined) {
      for (const name of this.#options.classes)
        record(name, (await this.#ask({ cmd: 'class_info', class: name })).methods);
      return;
    }
    const all = (await this.#ask({ cmd: 'class_info_all' })).class_info_all;
    for (const [name, info] of Object.entries((all ?? {}) as Record<string, unknown>)) record(name, info);
  }

  #answer(requests: Requests, msg: Uint8Array): void {
    this.#heard++;
    let answer: Answer;
    try {
      answer = (this.#codec as Codec).decode(msg) as Answer;
      if (answer === null || typeof answer !== 'object') throw new Error('an answer must be a map');
    } catch (error) {
      const failure = rpcError('RPC_BAD_ANSWER', 'undecodable answer from the server', { cause: error });
      this.#events.emit('error', failure);
      this.#conn?.destroy(failure); // nothing after it can be trusted to belong where it seems to
      return;
    }
    if (answer.cmd === 'goaway') this.#goAway(requests, typeof answer.msg === 'string' ? answer.msg : 'draining');
    else if (typeof answer.cmd === 'string') this.#fromServer(requests, answer);
    // The answer of a call given up on: references in it are given back, since nobody will hold them.
    else if (!requests.receive(answer) && answer.refs === 1) this.#capabilities?.discard(answer.rc);
  }

  /** A request of the server (only the capability protocol has them): a call of one of our references, or a notice. */
  #fromServer(requests: Requests, map: Answer): void {
    const capabilities = this.#capabilities;
    if (capabilities === undefined) return;
    const request = readRequest(map);
    switch (request.cmd) {
      case 'call':
        return this.#serve(requests, capabilities, request);
      case 'release':
      case 'pull':
      case 'push':
        return capabilities.receive(request);
    }
  }

  #serve(requests: Requests, capabilities: Capabilities, request: Request & RequestEnvelope): void {
    const id = request.id;
    if (id === undefined) return;
    const reply = (answer: Answer): void => {
      this.#served--;
      if (!this.connected) return;
      const rc = Array.isArray(answer.rc) ? answer.rc : [];
      const message: Request & RequestEnvelope = { cmd: 'return', id, ok: answer.ok === 1 ? 1 : 0, rc };
      if (answer.msg !== undefined) message.msg = answer.msg;
      if (answer.code !== undefined) message.code = answer.code;
      if (answer.refs === 1) message.refs = 1;
      try {
        requests.notify(message);
      } catch (error) {
        if (answer.refs === 1) capabilities.unsent(rc); // the references in it never left
        requests.notify({
          cmd: 'return',
          id,
          ok: 0,
          rc: [],
          msg: `cannot send the answer: ${(error as Error).message}`,
        });
      }
    };
    this.#served++;
    const answer: Answering =
      this.#served > MAX_SERVED_CALLS
        ? { ok: 0, msg: `too many calls in flight (the limit is ${MAX_SERVED_CALLS})`, code: 'RPC_LIMIT' }
        : capabilities.serve(request);
    if (answer instanceof Promise) void answer.then(reply);
    else reply(answer);
  }

  #closed(requests: Requests, error: Error | undefined): void {
    this.#ready = false;
    // The connection's objects lived on that server: their proxies' calls reject with RPC_OBJECT_LOST from now on.
    this.#lostOids.push(...this.#proxies.keys());
    this.#proxies.clear();
    this.#generation++;
    if (this.#options.reconnect && this.#announced && !this.#closing) {
      this.#expectReconnect();
      this.#reconnect();
    }
    this.#keepAlive?.stop();
    this.#capabilities?.close(
      rpcError('RPC_DISCONNECTED', error ? `connection lost: ${error.message}` : 'the connection closed'),
    );
    this.#capabilities = undefined;
    this.#finished = [];
    this.#keepAlive = undefined;
    this.#conn = undefined;
    this.#requests = undefined;
    this.#connector.lost();
    requests.failAll(
      rpcError('RPC_DISCONNECTED', error ? `connection lost: ${error.message}` : 'the connection closed', {
        cause: error,
      }),
    );
    if (this.#announced) this.#events.emit('disconnect', error);
    this.#announced = false;
  }

  /**
   * The one live proxy of `oid`, which counts one more receipt: the server
   * counted the hand-over, and releasing the proxy releases every receipt.
   */
  #proxy(oid: string): object {
    const known = this.#proxies.get(oid);
    const live = known?.proxy.deref();
    if (known !== undefined && live !== undefined) {
      known.receipt.count++;
      return live;
    }
    const className = oidClass(oid);
    const receipt: Receipt = { oid, count: 1, connection: this.#generation };
    const proxy = createProxy(this, receipt, className, this.#classes.get(className) ?? new Map());
    this.#proxies.set(oid, { proxy: new WeakRef(proxy), receipt });
    this.#collector.register(proxy, receipt, receipt);
    return proxy;
  }

  /** An object returner's value: ids become proxies, and so do list elements and map values one level down. */
  #proxiesOneLevel(value: unknown): unknown {
    const asProxy = (item: unknown): unknown => (typeof item === 'string' ? this.#proxy(item) : item);
    if (Array.isArray(value)) return value.map(asProxy);
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asProxy(v)]));
    return asProxy(value);
  }

  /** A proxy was garbage-collected without being released: its receipts go now. */
  #collected(receipt: Receipt): void {
    this.#forget(receipt);
    this.#destroy(receipt).catch((error: Error) => this.connected && this.#events.emit('error', error));
  }

  #forget(receipt: Receipt): void {
    if (this.#proxies.get(receipt.oid)?.receipt === receipt) this.#proxies.delete(receipt.oid);
  }

  /** client_destroy once per receipt (a Perl server counts each), all sent before the first answer is awaited. */
  async #destroy(receipt: Receipt): Promise<void> {
    const count = receipt.count;
    receipt.count = 0;
    // Gone with its connection: the server freed it then, and a later connection never knew it.
    if (!this.connected || receipt.connection !== this.#generation) return;
    await Promise.all(Array.from({ length: count }, () => this.request({ cmd: 'client_destroy', oid: receipt.oid })));
  }

  /** With an errorCallback, errors go to it and the call resolves undefined, as Event::RPC's error_cb. */
  #reported<R>(call: Promise<R>): Promise<R> {
    return this.#options.errorCallback === undefined ? call : (call.catch(this.#reportError) as Promise<R>);
  }
}
