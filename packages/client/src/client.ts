import { ClientNegotiation, type Codec } from '@rpc/codec';
import { authError, ScramClient } from '@rpc/auth';
import { type Answer, formatRegistry, methodKind, type MethodKind, oidClass, type PeerFeatures, RemoteError, rpcError } from '@rpc/core';
import type { Loop } from '@rpc/loop';
import { checkMaxPacketSize, connect, type Connection, DEFAULT_MAX_PACKET_SIZE, msgError } from '@rpc/msg';
import type { CallOptions, ClientOptions } from './options.js';
import { createProxy, toParam, type ProxyHost, type Receipt } from './proxy.js';
import { defaultLogger, defaultLoop } from './platform.js';
import { clientTlsOptions } from './tls.js';
import type { RemoteClass, RemoteObject } from './types.js';

interface Pending {
  resolve(answer: Answer): void;
  reject(error: Error): void;
  /** The caller stopped waiting (cancelled, deadline): the answer is dropped, and a request not sent yet never goes. */
  dropped?: boolean;
}

const FEATURES: PeerFeatures = { ids: true, cancel: true, deadlines: true };

function isOk(answer: Answer): boolean {
  return answer.ok === 1 || (answer.ok as unknown) === '1';
}

/**
 * An Event::RPC client: talks to Perl Event::RPC servers and to @rpc
 * servers. With an @rpc server it agrees on request ids, so many calls are
 * in flight at once and can be cancelled; with a Perl server calls go one
 * at a time, as the Perl protocol requires.
 */
export class Client implements ProxyHost, AsyncDisposable {
  readonly #options: ClientOptions;
  readonly #classes = new Map<string, Map<string, MethodKind>>();
  /** Perl servers: requests sent, answered in order. */
  readonly #inOrder: Pending[] = [];
  /** Perl servers: requests (encoded when called) waiting for the one before them to be answered. */
  readonly #notSent: Array<{ bytes: Uint8Array; pending: Pending }> = [];
  readonly #byId = new Map<number, Pending>();
  /** The live proxy of each object id, and what it holds on the server. */
  readonly #proxies = new Map<string, { readonly proxy: WeakRef<object>; readonly receipt: Receipt }>();
  readonly #collector = new FinalizationRegistry<Receipt>((receipt) => this.#collected(receipt));
  readonly #reportError: (error: Error) => undefined;
  #conn: Connection | undefined;
  #codec: Codec | undefined;
  #features: PeerFeatures = {};
  #serverVersion: string | undefined;
  #nextId = 1;
  #maxPacketSize: number;

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

  get serverVersion(): string | undefined {
    return this.#serverVersion;
  }

  /** Whether the server speaks the richer @rpc protocol (request ids, cancellation, deadlines). */
  get pipelined(): boolean {
    return this.#features.ids === true;
  }

  get connected(): boolean {
    return this.#conn !== undefined && !this.#conn.closed;
  }

  /** The largest message either way; must match the server's. May be changed at any time, as Event::RPC's set_max_packet_size. */
  get maxPacketSize(): number {
    return this.#maxPacketSize;
  }

  set maxPacketSize(bytes: number) {
    this.#maxPacketSize = checkMaxPacketSize(bytes);
    if (this.#conn !== undefined) this.#conn.maxPacketSize = bytes;
  }

  /** Connects, negotiates the format, checks the version and loads the class interfaces. */
  async connect(): Promise<void> {
    const o = this.#options;
    const tls = await clientTlsOptions(o);
    if (tls?.rejectUnauthorized === false) {
      this.#log(1, `WARNING: TLS verification is off for ${o.host ?? 'localhost'}:${o.port}: the connection is encrypted, but the server's identity is not checked`);
    }
    const conn = await connect({ host: o.host ?? 'localhost', port: o.port, ...(tls ? { tls } : {}) }, undefined, {
      loop: this.#loop,
      maxPacketSize: this.#maxPacketSize,
      connectTimeoutMs: o.timeout,
    });
    try {
      this.#codec = await this.#negotiate(conn);
    } catch (error) {
      conn.destroy();
      throw error;
    }
    this.#conn = conn;
    conn.onMessage = (_conn, msg, error) => (msg === undefined ? this.#closed(error) : this.#answer(msg));
    try {
      const version = await this.request({ cmd: 'version', rpc: FEATURES });
      if (typeof version.protocol !== 'string' || version.protocol < '1.00') {
        throw rpcError('RPC_VERSION', `server speaks protocol ${String(version.protocol)}; at least 1.00 is needed`);
      }
      this.#serverVersion = String(version.version);
      const rpc = version.rpc;
      this.#features = rpc !== null && typeof rpc === 'object' ? (rpc as PeerFeatures) : {};
      if (o.authUser !== undefined) await this.#logIn(o.authUser, o.authPass ?? '');
      await this.#loadClasses();
    } catch (error) {
      await this.close(); // a half-made connection is no use to anyone
      throw error;
    }
  }

  /** Disconnects (Event::RPC's disconnect), after writing what is queued. */
  async close(): Promise<void> {
    const conn = this.#conn;
    this.#conn = undefined;
    await conn?.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The constructors of a remote class (by its remote name or its classMap name), returning typed proxies. */
  remoteClass<T, A extends unknown[] = unknown[], S extends string = never>(name: string): RemoteClass<T, A, S> {
    const remote = Object.entries(this.#options.classMap ?? {}).find(([, local]) => local === name)?.[0] ?? name;
    const methods = this.#classes.get(remote);
    if (methods === undefined) throw rpcError('RPC_UNKNOWN_CLASS', `the server exports no class '${name}'${this.#classes.size === 0 ? ' (not connected?)' : ''}`);
    const constructors: Record<string, (...args: unknown[]) => Promise<RemoteObject<T>>> = {};
    for (const [method, kind] of methods) {
      if (kind !== '_constructor' && kind !== '_singleton') continue;
      constructors[method] = (...args) =>
        this.#reported(this.#call({ cmd: 'new', method: `${remote}::${method}` }, args).then((answer) => this.#proxy(String(answer.oid)) as RemoteObject<T>));
    }
    return constructors as RemoteClass<T, A, S>;
  }

  /** Calls `method` on the object `oid` (what proxies do). */
  exec(oid: string, method: string, args: unknown[], kind: MethodKind, options?: CallOptions): Promise<unknown> {
    const answered = this.#call({ cmd: 'exec', oid, method }, args, options).then((answer) => {
      const rc = Array.isArray(answer.rc) ? answer.rc : [];
      const values = kind === '_object' ? rc.map((value) => this.#proxiesOneLevel(value)) : rc;
      if (options?.list) return values;
      return values.length > 1 ? values : values[0];
    });
    return this.#reported(answered);
  }

  /** Tells the server to free what a proxy holds (what releasing a proxy does): one client_destroy per receipt. */
  async release(receipt: Receipt): Promise<void> {
    this.#collector.unregister(receipt);
    this.#forget(receipt);
    await this.#destroy(receipt);
  }

  /**
   * Sends one request (a map with `cmd`) and resolves with its answer;
   * rejects with RemoteError when the server says no, CancelError when the call
   * is cancelled, passes its deadline or the connection goes.
   */
  request(request: Record<string, unknown>, options?: CallOptions): Promise<Answer> {
    return this.#send({ ...request }, options);
  }

  /** A `new` or `exec` request with `args` as its params, proxies turned into object references. */
  #call(request: Record<string, unknown>, args: unknown[], options?: CallOptions): Promise<Answer> {
    try {
      request.params = args.map(toParam);
    } catch (error) {
      return Promise.reject(error); // a released proxy among the arguments
    }
    return this.#send(request, options);
  }

  /**
   * request(), taking ownership of `request` (it gets the id and deadline).
   * A call that cannot leave (cancelled already, unencodable, over
   * maxPacketSize, a full send queue) rejects alone, before anything is
   * queued, so the calls after it go on as if it had never been made.
   */
  #send(request: Record<string, unknown>, options?: CallOptions): Promise<Answer> {
    const conn = this.#conn;
    const codec = this.#codec;
    if (conn === undefined || codec === undefined || conn.closed) return Promise.reject(rpcError('RPC_NOT_CONNECTED', 'not connected'));
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(rpcError('RPC_CANCELLED', 'call cancelled', { cause: signal.reason }));
    const deadlineMs = options?.deadlineMs ?? this.#options.timeout;
    const id = this.#features.ids ? this.#nextId++ : undefined;
    if (id !== undefined) {
      request.id = id;
      if (deadlineMs !== undefined) request.deadlineMs = deadlineMs;
    }
    return new Promise<Answer>((resolve, reject) => {
      const bytes = this.#encode(codec, request);
      const pending: Pending = { resolve, reject };
      let cancel: (() => void) | undefined;
      if (id !== undefined) {
        conn.sendLater(bytes);
        this.#byId.set(id, pending);
        cancel = () => {
          // The caller is answered at once; the server is told so that it can stop and drop the answer.
          this.#byId.delete(id);
          if (this.connected) conn.sendLater(codec.encode({ cmd: 'cancel', target: id }));
        };
      } else if (this.#inOrder.length === 0) {
        conn.sendLater(bytes);
        this.#inOrder.push(pending);
      } else {
        this.#notSent.push({ bytes, pending });
      }
      if (signal !== undefined || deadlineMs !== undefined) this.#bound(pending, signal, deadlineMs, cancel);
    });
  }

  /** A request's bytes, refused here if the server would refuse them for their size. */
  #encode(codec: Codec, request: Record<string, unknown>): Uint8Array {
    const bytes = codec.encode(request);
    if (bytes.length > this.#maxPacketSize) {
      throw msgError('MSG_MESSAGE_TOO_LARGE', `message of ${bytes.length} bytes exceeds maxPacketSize ${this.#maxPacketSize}`);
    }
    return bytes;
  }

  get #loop(): Loop {
    return this.#options.loop ?? defaultLoop;
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
        const challenge = await this.request({ cmd: 'auth_scram', msg: scram.first() });
        const signature = await this.request({ cmd: 'auth_scram', msg: await scram.final(String(challenge.msg)) });
        scram.verify(String(signature.msg));
      } else {
        await this.request({ cmd: 'auth', user, pass });
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
      if (reply === undefined) throw rpcError('RPC_DISCONNECTED', 'the server closed the connection during format negotiation');
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
      for (const name of this.#options.classes) record(name, (await this.request({ cmd: 'class_info', class: name })).methods);
      return;
    }
    const all = (await this.request({ cmd: 'class_info_all' })).class_info_all;
    for (const [name, info] of Object.entries((all ?? {}) as Record<string, unknown>)) record(name, info);
  }

  /** Applies a call's signal and deadline: the caller is answered at once, the server told where it can be. */
  #bound(pending: Pending, signal: AbortSignal | undefined, deadlineMs: number | undefined, cancel: (() => void) | undefined): void {
    const { resolve, reject } = pending;
    const stop = (error: Error): void => {
      pending.dropped = true;
      pending.resolve = pending.reject = () => undefined;
      done();
      cancel?.();
      reject(error);
    };
    const onAbort = (): void => stop(rpcError('RPC_CANCELLED', 'call cancelled', { cause: signal?.reason }));
    const timer = deadlineMs === undefined ? undefined : this.#loop.timer(deadlineMs, () => stop(rpcError('RPC_DEADLINE', `no answer within ${deadlineMs} ms`)));
    const done = (): void => {
      timer?.cancel();
      signal?.removeEventListener('abort', onAbort);
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    pending.resolve = (answer) => (done(), resolve(answer));
    pending.reject = (error) => (done(), reject(error));
  }

  #answer(msg: Uint8Array): void {
    let answer: Answer;
    try {
      answer = (this.#codec as Codec).decode(msg) as Answer;
      if (answer === null || typeof answer !== 'object') throw new Error('an answer must be a map');
    } catch (error) {
      return this.#fail(rpcError('RPC_BAD_ANSWER', 'undecodable answer from the server', { cause: error }));
    }
    let pending: Pending | undefined;
    if (typeof answer.id === 'number') {
      pending = this.#byId.get(answer.id);
      this.#byId.delete(answer.id);
    } else {
      pending = this.#inOrder.shift();
      this.#sendNextInOrder();
    }
    if (pending === undefined) return;
    if (isOk(answer)) pending.resolve(answer);
    else pending.reject(rpcError('RPC_REMOTE', typeof answer.msg === 'string' ? answer.msg : 'the server refused the call'));
  }

  /** Sends the next waiting request (Perl servers); runs inside the answer handler, so it never throws. */
  #sendNextInOrder(): void {
    for (let next = this.#notSent.shift(); next !== undefined && this.#conn !== undefined; next = this.#notSent.shift()) {
      if (next.pending.dropped) continue;
      try {
        this.#conn.sendLater(next.bytes);
      } catch (error) {
        next.pending.reject(error as Error); // a full send queue: this call fails, the next one may go
        continue;
      }
      this.#inOrder.push(next.pending);
      return;
    }
  }

  #closed(error: Error | undefined): void {
    this.#conn = undefined;
    this.#fail(rpcError('RPC_DISCONNECTED', error ? `connection lost: ${error.message}` : 'the server closed the connection', { cause: error }));
  }

  #fail(error: Error): void {
    const all = [...this.#inOrder.splice(0), ...this.#notSent.splice(0).map((w) => w.pending), ...this.#byId.values()];
    this.#byId.clear();
    for (const pending of all) pending.reject(error);
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
    const receipt: Receipt = { oid, count: 1 };
    const proxy = createProxy(this, receipt, className, this.#classes.get(className) ?? new Map());
    this.#proxies.set(oid, { proxy: new WeakRef(proxy), receipt });
    this.#collector.register(proxy, receipt, receipt);
    return proxy;
  }

  /** An object returner's value: ids become proxies, and so do list elements and map values one level down. */
  #proxiesOneLevel(value: unknown): unknown {
    const asProxy = (item: unknown): unknown => (typeof item === 'string' ? this.#proxy(item) : item);
    if (Array.isArray(value)) return value.map(asProxy);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asProxy(v)]));
    return asProxy(value);
  }

  /** A proxy was garbage-collected without being released: its receipts go now. */
  #collected(receipt: Receipt): void {
    this.#forget(receipt);
    this.#destroy(receipt).catch(() => undefined);
  }

  #forget(receipt: Receipt): void {
    if (this.#proxies.get(receipt.oid)?.receipt === receipt) this.#proxies.delete(receipt.oid);
  }

  /** client_destroy once per receipt (a Perl server counts each), all sent before the first answer is awaited. */
  async #destroy(receipt: Receipt): Promise<void> {
    const count = receipt.count;
    receipt.count = 0;
    if (!this.connected) return;
    await Promise.all(Array.from({ length: count }, () => this.#send({ cmd: 'client_destroy', oid: receipt.oid })));
  }

  /** With an errorCallback, errors go to it and the call resolves undefined, as Event::RPC's error_cb. */
  #reported<R>(call: Promise<R>): Promise<R> {
    return this.#options.errorCallback === undefined ? call : (call.catch(this.#reportError) as Promise<R>);
  }
}
