import { ClientNegotiation, CodecRegistry, type Codec } from '@rpc/codec';
import { cborCodec } from '@rpc/codec-cbor';
import { jsonCodec } from '@rpc/codec-json';
import { msgpackCodec } from '@rpc/codec-msgpack';
import { AuthError, ScramClient } from '@rpc/auth';
import { CallError, ConsoleLogger, methodKind, oidClass, ProtocolError, RemoteError, type Answer, type Logger, type MethodKind, type PeerFeatures } from '@rpc/core';
import type { Loop } from '@rpc/loop';
import { connect, type Connection } from '@rpc/msg';
import type { CallOptions, ClientOptions } from './options.js';
import { createProxy, toParam, type ProxyHost } from './proxy.js';
import { defaultLoop } from './platform.js';
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
  /** Perl servers: requests waiting for the one before them to be answered. */
  readonly #notSent: Array<{ request: Record<string, unknown>; pending: Pending }> = [];
  readonly #byId = new Map<number, Pending>();
  readonly #proxies = new Map<string, WeakRef<object>>();
  readonly #collector = new FinalizationRegistry<string>((oid) => this.#collected(oid));
  readonly #reportError: (error: Error) => undefined;
  #conn: Connection | undefined;
  #codec: Codec | undefined;
  #features: PeerFeatures = {};
  #serverVersion: string | undefined;
  #nextId = 1;
  #defaultLogger: Logger | undefined;

  constructor(options: ClientOptions) {
    this.#options = options;
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

  /** Connects, negotiates the format, checks the version and loads the class interfaces. */
  async connect(): Promise<void> {
    const o = this.#options;
    const tls = await clientTlsOptions(o);
    if (tls?.rejectUnauthorized === false) {
      this.#log(1, `WARNING: TLS verification is off for ${o.host ?? 'localhost'}:${o.port}: the connection is encrypted, but the server's identity is not checked`);
    }
    const conn = await connect({ host: o.host ?? 'localhost', port: o.port, ...(tls ? { tls } : {}) }, undefined, {
      loop: this.#loop,
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
    try {
      const version = await this.request({ cmd: 'version', rpc: FEATURES });
      if (typeof version.protocol !== 'string' || version.protocol < '1.00') {
        throw new ProtocolError('RPC_VERSION', `server speaks protocol ${String(version.protocol)}; at least 1.00 is needed`);
      }
      this.#serverVersion = String(version.version);
      const rpc = version.rpc;
      this.#features = rpc !== null && typeof rpc === 'object' ? (rpc as PeerFeatures) : {};
      if (o.authUser !== undefined) await this.#logIn(o.authUser, o.authPass ?? '');
      await this.#loadClasses();
    } catch (error) {
      await this.disconnect(); // a half-made connection is no use to anyone
      throw error;
    }
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
        this.#reported(this.#call({ cmd: 'new', method: `${remote}::${method}` }, args).then((answer) => this.#proxy<T>(String(answer.oid))));
    }
    return constructors as RemoteClass<T, A, S>;
  }

  /** Calls `method` on the object `oid` (what proxies do). */
  exec(oid: string, method: string, args: unknown[], kind: MethodKind, options?: CallOptions): Promise<unknown> {
    const answered = this.#call({ cmd: 'exec', oid, method }, args, options).then((answer) => {
      const rc = Array.isArray(answer.rc) ? answer.rc : [];
      const values = kind === '_object' ? rc.map((value) => this.#proxiesOneLevel(value)) : rc;
      return values.length > 1 ? values : values[0];
    });
    return this.#reported(answered);
  }

  /** Tells the server to free `oid` (what releasing a proxy does). */
  async release(oid: string): Promise<void> {
    const ref = this.#proxies.get(oid);
    if (ref !== undefined) {
      const proxy = ref.deref();
      if (proxy !== undefined) this.#collector.unregister(proxy);
      this.#proxies.delete(oid);
    }
    if (this.connected) await this.#send({ cmd: 'client_destroy', oid });
  }

  /**
   * Sends one request (a map with `cmd`) and resolves with its answer;
   * rejects with RemoteError when the server says no, CallError when the call
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

  /** request(), taking ownership of `request` (it gets the id and deadline). */
  #send(request: Record<string, unknown>, options?: CallOptions): Promise<Answer> {
    const conn = this.#conn;
    const codec = this.#codec;
    if (conn === undefined || codec === undefined || conn.closed) return Promise.reject(new CallError('RPC_NOT_CONNECTED', 'not connected'));
    const deadlineMs = options?.deadlineMs ?? this.#options.timeout;
    return new Promise<Answer>((resolve, reject) => {
      const pending: Pending = { resolve, reject };
      let cancel: (() => void) | undefined;
      if (this.#features.ids) {
        const id = this.#nextId++;
        request.id = id;
        if (deadlineMs !== undefined) request.deadlineMs = deadlineMs;
        this.#byId.set(id, pending);
        conn.sendLater(codec.encode(request));
        cancel = () => {
          // The caller is answered at once; the server is told so that it can stop and drop the answer.
          this.#byId.delete(id);
          if (this.connected) conn.sendLater(codec.encode({ cmd: 'cancel', target: id }));
        };
      } else if (this.#inOrder.length === 0) {
        this.#inOrder.push(pending);
        conn.sendLater(codec.encode(request));
      } else {
        this.#notSent.push({ request, pending });
      }
      if (options?.signal !== undefined || deadlineMs !== undefined) this.#bound(pending, options?.signal, deadlineMs, cancel);
    });
  }

  get #loop(): Loop {
    return this.#options.loop ?? defaultLoop;
  }

  #log(level: number, message: string): void {
    (this.#options.logger ?? (this.#defaultLogger ??= new ConsoleLogger())).log(level, message);
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
      if (error instanceof RemoteError) throw new AuthError('AUTH_FAILED', error.message, { cause: error });
      throw error;
    }
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

  /** Applies a call's signal and deadline: the caller is answered at once, the server told where it can be. */
  #bound(pending: Pending, signal: AbortSignal | undefined, deadlineMs: number | undefined, cancel: (() => void) | undefined): void {
    const { resolve, reject } = pending;
    const stop = (error: CallError): void => {
      pending.dropped = true;
      pending.resolve = pending.reject = () => undefined;
      done();
      cancel?.();
      reject(error);
    };
    const onAbort = (): void => stop(new CallError('RPC_CANCELLED', 'call cancelled', { cause: signal?.reason }));
    const timer = deadlineMs === undefined ? undefined : this.#loop.timer(deadlineMs, () => stop(new CallError('RPC_DEADLINE', `no answer within ${deadlineMs} ms`)));
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
      return this.#fail(new ProtocolError('RPC_BAD_ANSWER', 'undecodable answer from the server', { cause: error }));
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
    else pending.reject(new RemoteError(typeof answer.msg === 'string' ? answer.msg : 'the server refused the call'));
  }

  #sendNextInOrder(): void {
    let next = this.#notSent.shift();
    while (next?.pending.dropped) next = this.#notSent.shift();
    if (next === undefined || this.#conn === undefined || this.#codec === undefined) return;
    this.#inOrder.push(next.pending);
    this.#conn.sendLater(this.#codec.encode(next.request));
  }

  #closed(error: Error | undefined): void {
    this.#conn = undefined;
    this.#fail(new CallError('RPC_DISCONNECTED', error ? `connection lost: ${error.message}` : 'the server closed the connection', { cause: error }));
  }

  #fail(error: Error): void {
    const all = [...this.#inOrder.splice(0), ...this.#notSent.splice(0).map((w) => w.pending), ...this.#byId.values()];
    this.#byId.clear();
    for (const pending of all) pending.reject(error);
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
    if (this.connected) this.#send({ cmd: 'client_destroy', oid }).catch(() => undefined);
  }

  /** With an errorCallback, errors go to it and the call resolves undefined, as Event::RPC's error_cb. */
  #reported<R>(call: Promise<R>): Promise<R> {
    return this.#options.errorCallback === undefined ? call : (call.catch(this.#reportError) as Promise<R>);
  }
}
