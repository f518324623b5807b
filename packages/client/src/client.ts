import { ClientNegotiation, CodecRegistry, type Codec } from '@rpc/codec';
import { cborCodec } from '@rpc/codec-cbor';
import { jsonCodec } from '@rpc/codec-json';
import { msgpackCodec } from '@rpc/codec-msgpack';
import { CallError, methodKind, oidClass, ProtocolError, RemoteError, type Answer, type MethodKind, type PeerFeatures } from '@rpc/core';
import type { Loop, Timer } from '@rpc/loop';
import { nodeLoop } from '@rpc/loop-node';
import { connect, type Connection } from '@rpc/msg';
import type { CallOptions, ClientOptions } from './options.js';
import { createProxy, toParam, type ProxyHost } from './proxy.js';
import type { RemoteClass, RemoteObject } from './types.js';

interface Pending {
  resolve(answer: Answer): void;
  reject(error: Error): void;
  /** Abandoned by its caller (cancelled): the answer is read and dropped. */
  abandoned?: boolean;
}

const FEATURES: PeerFeatures = { ids: true, cancel: true, deadlines: true };

/**
 * An Event::RPC client: talks to Perl Event::RPC servers and to @rpc
 * servers. With an @rpc server it agrees on request ids, so many calls are
 * in flight at once and can be cancelled; with a Perl server calls go one
 * at a time, as the Perl protocol requires.
 */
export class Client implements ProxyHost, AsyncDisposable {
  readonly #options: ClientOptions;
  readonly #classes = new Map<string, Map<string, MethodKind>>();
  readonly #serialWaiting: Pending[] = [];
  readonly #byId = new Map<number, Pending>();
  readonly #proxies = new Map<string, WeakRef<object>>();
  readonly #collector = new FinalizationRegistry<string>((oid) => this.#collected(oid));
  #conn: Connection | undefined;
  #codec: Codec | undefined;
  #features: PeerFeatures = {};
  #serverVersion: string | undefined;
  #serial: Promise<unknown> = Promise.resolve();
  #nextId = 1;

  constructor(options: ClientOptions) {
    this.#options = options;
  }

  get #loop(): Loop {
    return this.#options.loop ?? nodeLoop;
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

  /** Connects, negotiates the format, checks the version and loads the class interfaces. */
  async connect(): Promise<void> {
    const o = this.#options;
    const conn = await connect({ host: o.host ?? 'localhost', port: o.port, tls: o.tls }, undefined, {
      loop: o.loop,
      maxPacketSize: o.maxPacketSize,
      timeoutMs: o.timeout,
    });
    try {
      this.#codec = await this.#negotiate(conn);
    } catch (error) {
      conn.destroy();
      throw error;
    }
    this.#conn = conn;
    conn.onMessage = (_conn, msg, error) => (msg === undefined ? this.#closed(error) : this.#answer(msg));
    const version = await this.request({ cmd: 'version', rpc: FEATURES });
    if (typeof version.protocol !== 'string' || version.protocol < '1.00') {
      throw new ProtocolError('RPC_VERSION', `server speaks protocol ${String(version.protocol)}; at least 1.00 is needed`);
    }
    this.#serverVersion = String(version.version);
    const rpc = version.rpc;
    this.#features = rpc !== null && typeof rpc === 'object' ? (rpc as PeerFeatures) : {};
    await this.#loadClasses();
  }

  async disconnect(): Promise<void> {
    const conn = this.#conn;
    this.#conn = undefined;
    await conn?.disconnect();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.disconnect();
  }

  /** The constructors of a remote class (by its remote name or its classMap name), returning typed proxies. */
  remoteClass<T, A extends unknown[] = unknown[], S extends string = never>(name: string): RemoteClass<T, A, S> {
    const remote = Object.entries(this.#options.classMap ?? {}).find(([, local]) => local === name)?.[0] ?? name;
    const methods = this.#classes.get(remote);
    if (methods === undefined) throw new CallError('RPC_UNKNOWN_CLASS', `the server exports no class '${name}'${this.#classes.size === 0 ? ' (not connected?)' : ''}`);
    const constructors: Record<string, (...args: unknown[]) => Promise<RemoteObject<T>>> = {};
    for (const [method, kind] of methods) {
      if (kind !== '_constructor' && kind !== '_singleton') continue;
      constructors[method] = (...args) =>
        this.#guard(async () => {
          const answer = await this.request({ cmd: 'new', method: `${remote}::${method}`, params: args.map(toParam) });
          return this.#proxy<T>(String(answer.oid));
        });
    }
    return constructors as RemoteClass<T, A, S>;
  }

  /** Calls `method` on the object `oid` (what proxies do). */
  exec(oid: string, method: string, args: unknown[], kind: MethodKind, options?: CallOptions): Promise<unknown> {
    return this.#guard(async () => {
      const answer = await this.request({ cmd: 'exec', oid, method, params: args.map(toParam) }, options);
      const rc = Array.isArray(answer.rc) ? answer.rc : [];
      const values = kind === '_object' ? rc.map((value) => this.#proxiesOneLevel(value)) : rc;
      return values.length > 1 ? values : values[0];
    });
  }

  /** Tells the server to free `oid` (what releasing a proxy does). */
  async release(oid: string): Promise<void> {
    const ref = this.#proxies.get(oid);
    if (ref !== undefined) {
      const proxy = ref.deref();
      if (proxy !== undefined) this.#collector.unregister(proxy);
      this.#proxies.delete(oid);
    }
    if (this.connected) await this.request({ cmd: 'client_destroy', oid });
  }

  /** Sends one request and resolves with its answer; rejects with RemoteError when the server says no. */
  async request(request: Record<string, unknown>, options: CallOptions = {}): Promise<Answer> {
    const conn = this.#conn;
    const codec = this.#codec;
    if (conn === undefined || codec === undefined || conn.closed) throw new CallError('RPC_NOT_CONNECTED', 'not connected');
    const answer = this.#features.ids ? await this.#pipelined(conn, codec, request, options) : await this.#oneAtATime(conn, codec, request, options);
    if (answer.ok === 1 || (answer.ok as unknown) === '1') return answer;
    throw new RemoteError(typeof answer.msg === 'string' ? answer.msg : 'the server refused the call');
  }

  async #negotiate(conn: Connection): Promise<Codec> {
    const o = this.#options;
    const formats = new CodecRegistry(o.messageFormats ?? [msgpackCodec(), cborCodec(), jsonCodec()]);
    const negotiation = new ClientNegotiation({ formats, insecureFormatsOk: o.insecureFormatsOk });
    let message = negotiation.start();
    for (;;) {
      await conn.sendNow(message);
      const reply = await conn.receive();
      if (reply === undefined) throw new CallError('RPC_DISCONNECTED', 'the server closed the connection during format negotiation');
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

  /** Perl servers: one request at a time, answers matched by order. */
  #oneAtATime(conn: Connection, codec: Codec, request: Record<string, unknown>, options: CallOptions): Promise<Answer> {
    const turn = this.#serial.then(
      () =>
        new Promise<Answer>((resolve, reject) => {
          const pending: Pending = { resolve, reject };
          conn.sendLater(codec.encode(request));
          this.#serialWaiting.push(pending);
          this.#bound(pending, options);
        }),
    );
    this.#serial = turn.catch(() => undefined);
    return turn;
  }

  /** @rpc servers: many requests in flight, answers matched by id, cancellable. */
  #pipelined(conn: Connection, codec: Codec, request: Record<string, unknown>, options: CallOptions): Promise<Answer> {
    const id = this.#nextId++;
    const deadlineMs = options.deadlineMs ?? this.#options.timeout;
    return new Promise<Answer>((resolve, reject) => {
      const pending: Pending = { resolve, reject };
      conn.sendLater(codec.encode(deadlineMs === undefined ? { ...request, id } : { ...request, id, deadlineMs }));
      this.#byId.set(id, pending);
      this.#bound(pending, options, () => {
        this.#byId.delete(id);
        if (this.connected) this.#conn?.sendLater(codec.encode({ cmd: 'cancel', target: id }));
      });
    });
  }

  /** Applies a call's signal and deadline: the caller is answered at once, the server told where it can be. */
  #bound(pending: Pending, options: CallOptions, cancel?: () => void): void {
    const { signal } = options;
    const deadlineMs = options.deadlineMs ?? this.#options.timeout;
    const settle = pending.resolve;
    const fail = pending.reject;
    let timer: Timer | undefined;
    const stop = (error: CallError): void => {
      pending.abandoned = true;
      cancel?.();
      fail(error);
    };
    const onAbort = (): void => stop(new CallError('RPC_CANCELLED', 'call cancelled', { cause: signal?.reason }));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (deadlineMs !== undefined) timer = this.#loop.timer(deadlineMs, () => stop(new CallError('RPC_DEADLINE', `no answer within ${deadlineMs} ms`)));
    const done = (): void => {
      timer?.cancel();
      signal?.removeEventListener('abort', onAbort);
    };
    pending.resolve = (answer) => {
      done();
      settle(answer);
    };
    pending.reject = (error) => {
      done();
      fail(error);
    };
  }

  #answer(msg: Uint8Array): void {
    let answer: Answer;
    try {
      answer = (this.#codec as Codec).decode(msg) as Answer;
    } catch (error) {
      return this.#fail(new ProtocolError('RPC_BAD_ANSWER', 'undecodable answer from the server', { cause: error }));
    }
    const pending = typeof answer?.id === 'number' ? this.#byId.get(answer.id) : this.#serialWaiting.shift();
    if (typeof answer?.id === 'number') this.#byId.delete(answer.id);
    if (pending !== undefined && !pending.abandoned) pending.resolve(answer);
  }

  #closed(error: Error | undefined): void {
    this.#conn = undefined;
    this.#fail(new CallError('RPC_DISCONNECTED', error ? `connection lost: ${error.message}` : 'the server closed the connection', { cause: error }));
  }

  #fail(error: Error): void {
    for (const pending of [...this.#serialWaiting.splice(0), ...this.#byId.values()]) pending.reject(error);
    this.#byId.clear();
  }

  /** The one proxy of `oid`, so that releasing it cannot strand another proxy of the same object. */
  #proxy<T>(oid: string): RemoteObject<T> {
    const known = this.#proxies.get(oid)?.deref();
    if (known !== undefined) return known as RemoteObject<T>;
    const className = oidClass(oid);
    const proxy = createProxy<T>(this, oid, className, this.#classes.get(className) ?? new Map());
    this.#proxies.set(oid, new WeakRef(proxy));
    this.#collector.register(proxy, oid, proxy);
    return proxy;
  }

  /** An object returner's value: ids become proxies, and so do list elements and map values one level down. */
  #proxiesOneLevel(value: unknown): unknown {
    const asProxy = (item: unknown): unknown => (typeof item === 'string' ? this.#proxy(item) : item);
    if (Array.isArray(value)) return value.map(asProxy);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asProxy(v)]));
    return asProxy(value);
  }

  #collected(oid: string): void {
    if (this.#proxies.get(oid)?.deref() !== undefined) return; // a newer proxy of the same object is alive
    this.#proxies.delete(oid);
    if (this.connected) this.request({ cmd: 'client_destroy', oid }).catch(() => undefined);
  }

  async #guard<R>(call: () => Promise<R>): Promise<R> {
    try {
      return await call();
    } catch (error) {
      const callback = this.#options.errorCallback;
      if (callback === undefined) throw error;
      callback(this, error as Error);
      return undefined as R;
    }
  }
}
