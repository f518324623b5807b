import { TaggedValue } from '@rpc/codec';
import type { Loop } from '@rpc/loop';
import { type Answering, errorText, fail, failWith, then } from './answering.js';
import { rpcError } from './errors.js';
import { findMethod, type AnyFunction } from './methods.js';
import type { Answer, Request, RequestEnvelope } from './protocol.js';
import { REFERENCE_TAGS, targetMethods, target } from './references.js';
import { RemoteStream } from './remote-stream.js';
import { rcOf } from './results.js';
import { StreamSource } from './stream-source.js';

type CallRequest = Extract<Request, { cmd: 'call' }>;
type Notice = Extract<Request, { cmd: 'release' | 'pull' | 'push' }>;

/** A message of the capability protocol, with the envelope fields it may carry. */
type Message<R> = R & RequestEnvelope;

/** How a {@link Capabilities} table reaches its peer. */
export interface CapabilityPeer {
  /** Runs stream batching. */
  readonly loop: Loop;
  /** Sends a `call` of one of the peer's references and resolves with its answer (rejecting when it says no). */
  call(request: Request & RequestEnvelope): Promise<Answer>;
  /** Sends a one-way message (`release`, `pull`, `push`); may throw when the connection cannot take it. */
  notify(message: Request & RequestEnvelope): void;
}

/** What one connection may make either side hold. */
export interface CapabilityLimits {
  /** Our functions, targets and streams the peer may hold at once; past it the call or answer fails with RPC_LIMIT. */
  readonly maxExports?: number;
  /** The peer's references we keep stubs of at once; a message bringing more is refused with RPC_LIMIT. */
  readonly maxImports?: number;
  /** Values of a stream that may be on their way or waiting to be read (the window). */
  readonly streamWindow?: number;
}

/** The limits of a {@link Capabilities} table where its options set none. */
export const CAPABILITY_LIMITS: Required<CapabilityLimits> = {
  maxExports: 10_000,
  maxImports: 10_000,
  streamWindow: 64,
};

/** Values ready to send: references in place of what travels by reference. */
export interface Encoded {
  /** The values, or the same array when nothing in them travels by reference. */
  readonly values: unknown[];
  /** Whether the values hold references (the message's `refs` flag). */
  readonly refs: boolean;
}

/** References are looked for this deep; the codecs refuse deeper nesting themselves. */
const MAX_DEPTH = 64;
/** A target stub lists at most this many methods. */
const MAX_METHODS = 1000;

type Export =
  | { readonly kind: 'function'; readonly value: AnyFunction; refs: number }
  | { readonly kind: 'target'; readonly value: object; readonly methods: ReadonlySet<string>; refs: number }
  | { readonly kind: 'stream'; readonly value: AsyncIterable<unknown>; readonly source: StreamSource; refs: number };

/** A stub we hold, with how many times the peer handed it over (released all at once). */
interface Import {
  readonly id: number;
  readonly stub: WeakRef<object>;
  count: number;
  released: boolean;
  /** A stream's consumer, which a lost connection must fail. */
  readonly stream?: RemoteStream<unknown>;
}

/** The table a stub belongs to, so that a stub passed back to its owner arrives as the original. */
const owners = new WeakMap<object, { readonly table: Capabilities; readonly entry: Import }>();

function isAsyncIterable(value: object): value is AsyncIterable<unknown> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === Object.prototype || proto === null;
}

/** Calls `visit` for every reference tag in `value` (as encoded or as decoded, before stubs are made). */
function eachReference(value: unknown, depth: number, visit: (tag: string, id: number) => void): void {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return;
  if (value instanceof TaggedValue) {
    const id = refId(value.values[0]);
    if (id !== undefined && value.className.startsWith('@rpc.') && value.className !== REFERENCE_TAGS.result)
      visit(value.className, id);
    return;
  }
  if (Array.isArray(value)) for (const item of value) eachReference(item, depth + 1, visit);
  else if (isPlain(value)) for (const item of Object.values(value)) eachReference(item, depth + 1, visit);
}

const refId = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;

/**
 * The references one connection has given and taken, in both directions:
 * functions, target objects and streams sent by reference, each counted as
 * it is handed over and dropped when the peer releases it or the connection
 * ends. Only what was handed over can be called: a call names an id from
 * this table, and a target's call one of the methods it exposes.
 */
export class Capabilities {
  readonly #peer: CapabilityPeer;
  readonly #limits: Required<CapabilityLimits>;
  readonly #exports = new Map<number, Export>();
  readonly #exportIds = new Map<object, number>();
  readonly #imports = new Map<number, Import>();
  readonly #collector = new FinalizationRegistry<Import>((entry) => this.#release(entry));
  /** Stubs that arrived as arguments of a method of an object, given back when the object goes. */
  readonly #held = new WeakMap<object, Import[]>();
  #nextId = 1;
  #closed: Error | undefined;
  /** References counted by the walk in progress, undone if it fails. */
  readonly #counted: Export[] = [];

  constructor(peer: CapabilityPeer, limits: CapabilityLimits = {}) {
    this.#peer = peer;
    this.#limits = { ...CAPABILITY_LIMITS, ...limits };
  }

  /** Our references the peer holds. */
  get exports(): number {
    return this.#exports.size;
  }

  /** The peer's references we hold stubs of. */
  get imports(): number {
    return this.#imports.size;
  }

  /**
   * `values` with every function, target and async iterable in them (in
   * arrays and plain objects, at any depth) replaced by a reference the
   * peer can call; the same array when there is none. `refs` is set when
   * some were. Throws RPC_LIMIT past maxExports, counting nothing then.
   */
  encode(values: unknown[]): Encoded {
    if (this.#closed !== undefined) throw this.#closed;
    this.#counted.length = 0; // one list, reused: this runs for every call
    try {
      const encoded = this.#encode(values, 0) as unknown[];
      return { values: encoded, refs: this.#counted.length > 0 || encoded !== values };
    } catch (error) {
      for (const entry of this.#counted) this.#drop(entry, 1);
      throw error;
    } finally {
      this.#counted.length = 0;
    }
  }

  /**
   * `values` (decoded from the peer, so ours to change) with every reference replaced by a stub. A stream's stub is
   * cancelled when `signal` aborts; the stubs are given back when `holder` is (see {@link releaseHeld}). Throws
   * RPC_LIMIT past maxImports, giving back every reference the values brought.
   */
  decode(values: unknown[], signal?: AbortSignal, holder?: object): unknown[] {
    const made: Import[] = [];
    try {
      this.#decode(values, 0, made, signal);
    } catch (error) {
      for (const entry of made) this.#releaseOne(entry);
      this.#giveBack(values);
      throw error;
    }
    if (holder !== undefined && made.length > 0) {
      const held = this.#held.get(holder);
      if (held === undefined) this.#held.set(holder, made);
      else held.push(...made);
    }
    return values;
  }

  /** Moves the stubs held for `from` to `to` (a constructor's arguments, once its object exists). */
  transferHeld(from: object, to: object): void {
    const held = this.#held.get(from);
    if (held === undefined) return;
    this.#held.delete(from);
    const already = this.#held.get(to);
    if (already === undefined) this.#held.set(to, held);
    else already.push(...held);
  }

  /**
   * `holder` has gone (the peer released the object the stubs were passed to): its hand-overs of them go back, and a
   * stub handed over for nothing else stops working.
   */
  releaseHeld(holder: object): void {
    const held = this.#held.get(holder);
    this.#held.delete(holder);
    for (const entry of held ?? []) this.#releaseOne(entry);
  }

  /** Answers the peer's `call` of one of our references; any other request is refused. */
  serve(message: Request & RequestEnvelope): Answering {
    if (message.cmd !== 'call') return fail(`'${message.cmd}' is not a call`);
    const request: Message<CallRequest> = message;
    const entry = this.#exports.get(request.ref);
    if (entry === undefined)
      return failWith(rpcError('RPC_RELEASED', `unknown reference ${request.ref}: released, or never given`));
    let fn: AnyFunction | undefined;
    let self: unknown;
    if (entry.kind === 'function' && request.method === undefined) fn = entry.value;
    else if (entry.kind === 'target' && request.method !== undefined && entry.methods.has(request.method)) {
      fn = findMethod(entry.value, request.method);
      self = entry.value;
    }
    if (fn === undefined) return fail(`reference ${request.ref} has no method '${request.method ?? '(call)'}' to call`);
    try {
      const params = request.refs ? this.decode(request.params) : request.params;
      return then(fn.apply(self, params), (result) => this.answer(rcOf(result)));
    } catch (error) {
      return failWith(error);
    }
  }

  /** A successful answer carrying `rc`, its references encoded. */
  answer(rc: unknown[]): Answer {
    const { values, refs } = this.encode(rc);
    return refs ? { ok: 1, rc: values, refs: 1 } : { ok: 1, rc: values };
  }

  /** What an answer's `rc` holds, stubs made for its references. */
  results(answer: Answer, signal?: AbortSignal): unknown[] {
    const rc = Array.isArray(answer.rc) ? answer.rc : [];
    return answer.refs ? this.decode(rc, signal) : rc;
  }

  /**
   * Values from the peer that nobody will read (the answer of a call given up on): the references in them are given
   * back, as if received and released at once.
   */
  discard(values: unknown): void {
    this.#giveBack(values);
  }

  /**
   * Encoded values that never left (too large, or the call was given up on): the hand-overs they counted are taken
   * back, so that the peer is not thought to hold them.
   */
  unsent(values: unknown): void {
    eachReference(values, 0, (tag, id) => {
      const entry = tag === REFERENCE_TAGS.back ? undefined : this.#exports.get(id);
      if (entry !== undefined) this.#drop(entry, 1);
    });
  }

  /** Handles one of the peer's one-way messages (`release`, `pull`, `push`); ignores any other. */
  receive(message: Request & RequestEnvelope): void {
    switch (message.cmd) {
      case 'release': {
        const entry = this.#exports.get(message.ref);
        if (entry !== undefined) this.#drop(entry, message.count);
        return;
      }
      case 'pull': {
        const entry = this.#exports.get(message.ref);
        if (entry?.kind === 'stream') entry.source.grant(message.credit);
        return;
      }
      case 'push': {
        const entry = this.#imports.get(message.ref);
        const stream = entry?.stream;
        if (stream === undefined || entry === undefined) return; // cancelled meanwhile
        let values: unknown[];
        try {
          values = message.refs ? this.decode(message.values) : message.values;
        } catch (error) {
          stream.fail(error as Error);
          return this.#release(entry);
        }
        const error = message.error === undefined ? undefined : rpcError('RPC_REMOTE', message.error);
        stream.receive(values, message.done === true, error);
        if (message.done === true) this.#forget(entry); // the producer has dropped it already
      }
    }
  }

  /** The connection has gone: every stub fails from now on, every stream ends with `error`, every export goes. */
  close(error: Error): void {
    if (this.#closed !== undefined) return;
    this.#closed = error;
    for (const entry of this.#imports.values()) {
      entry.released = true;
      this.#collector.unregister(entry);
      entry.stream?.fail(error);
    }
    this.#imports.clear();
    for (const entry of this.#exports.values()) if (entry.kind === 'stream') entry.source.cancel();
    this.#exports.clear();
    this.#exportIds.clear();
  }

  #encode(value: unknown, depth: number): unknown {
    if (typeof value === 'function') return this.#reference(value);
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || value instanceof TaggedValue)
      return value;
    if (depth > MAX_DEPTH) return value; // a cycle, or nesting the codec refuses with its own error
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        const encoded = this.#encode(item, depth + 1);
        if (encoded !== item) (copy ??= value.slice())[i] = encoded;
      }
      return copy ?? value;
    }
    if (targetMethods(value) !== undefined || owners.has(value) || isAsyncIterable(value))
      return this.#reference(value);
    if (typeof (value as { then?: unknown }).then === 'function')
      throw rpcError(
        'RPC_INVALID_OPTION',
        'a promise cannot travel inside a value: await it, or pass it as an argument',
      );
    if (!isPlain(value)) return value;
    let copy: Record<string, unknown> | undefined;
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      const encoded = this.#encode(item, depth + 1);
      if (encoded !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = encoded;
    }
    return copy ?? value;
  }

  /** The tag that hands `value` to the peer by reference, counting one more reference. */
  #reference(value: object): TaggedValue {
    const owner = owners.get(value);
    if (owner?.table === this) {
      if (owner.entry.released) throw rpcError('RPC_RELEASED', `reference ${owner.entry.id} was released`);
      return new TaggedValue(REFERENCE_TAGS.back, [owner.entry.id]);
    }
    const known = this.#exportIds.get(value);
    let entry = known === undefined ? undefined : this.#exports.get(known);
    let id = known as number;
    if (entry === undefined) {
      if (this.#exports.size >= this.#limits.maxExports)
        throw rpcError(
          'RPC_LIMIT',
          `the peer holds ${this.#exports.size} references; the limit is ${this.#limits.maxExports}`,
        );
      id = this.#nextId++;
      entry = this.#newExport(id, value);
      this.#exports.set(id, entry);
      this.#exportIds.set(value, id);
    }
    entry.refs++;
    this.#counted.push(entry);
    if (entry.kind === 'function') return new TaggedValue(REFERENCE_TAGS.function, [id]);
    if (entry.kind === 'stream') return new TaggedValue(REFERENCE_TAGS.stream, [id]);
    return new TaggedValue(REFERENCE_TAGS.target, [id, [...entry.methods]]);
  }

  #newExport(id: number, value: object): Export {
    if (typeof value === 'function') return { kind: 'function', value: value as AnyFunction, refs: 0 };
    const methods = targetMethods(value);
    if (methods !== undefined) return { kind: 'target', value, methods, refs: 0 };
    const iterable = value as AsyncIterable<unknown>;
    const source = new StreamSource(
      iterable,
      { push: (values, done, error) => this.#push(id, values, done, error) },
      (task) => this.#peer.loop.defer(task),
    );
    return { kind: 'stream', value: iterable, source, refs: 0 };
  }

  #push(id: number, values: unknown[], done: boolean, error: string | undefined): void {
    const entry = this.#exports.get(id);
    if (entry === undefined) return;
    if (done) this.#forgetExport(id, entry);
    let encoded: Encoded | undefined;
    try {
      encoded = this.encode(values);
      const message: Message<Notice> = { cmd: 'push', ref: id, values: encoded.values };
      if (done) message.done = true;
      if (error !== undefined) message.error = error;
      if (encoded.refs) message.refs = 1;
      this.#peer.notify(message);
    } catch (failure) {
      // The value cannot travel (a limit, the codec, a full queue): the stream ends here, with the reason.
      if (encoded?.refs) this.unsent(encoded.values);
      if (entry.kind === 'stream') entry.source.cancel();
      this.#forgetExport(id, entry);
      if (!done) this.#notify({ cmd: 'push', ref: id, values: [], done: true, error: errorText(failure) });
    }
  }

  /** Drops `count` of the peer's references to an export; at none it goes, a stream's producer stopped. */
  #drop(entry: Export, count: number): void {
    if (count > 0) entry.refs -= count; // a NaN or negative count from a hostile peer drops nothing
    if (entry.refs > 0) return;
    const id = this.#exportIds.get(entry.value);
    if (id !== undefined) this.#forgetExport(id, entry);
    if (entry.kind === 'stream') entry.source.cancel();
  }

  #forgetExport(id: number, entry: Export): void {
    if (this.#exports.get(id) !== entry) return;
    this.#exports.delete(id);
    this.#exportIds.delete(entry.value);
  }

  #decode(value: unknown, depth: number, made: Import[], signal: AbortSignal | undefined): unknown {
    if (value instanceof TaggedValue) {
      // A pipelined result is the dispatcher's to find; any other reference becomes a stub.
      const stub = value.className.startsWith('@rpc.') && value.className !== REFERENCE_TAGS.result;
      return stub ? this.#stub(value, made, signal) : value;
    }
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
    if (depth > MAX_DEPTH) return value; // deeper than any codec decodes
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = this.#decode(value[i], depth + 1, made, signal);
    } else if (isPlain(value)) {
      const map = value as Record<string, unknown>;
      for (const key of Object.keys(map)) map[key] = this.#decode(map[key], depth + 1, made, signal);
    }
    return value;
  }

  /** The stub of a reference tag: the same stub for the same id while it lives, counting each hand-over. */
  #stub(tag: TaggedValue, made: Import[], signal: AbortSignal | undefined): unknown {
    const id = refId(tag.values[0]);
    if (id === undefined) throw rpcError('RPC_BAD_REQUEST', `a reference without a valid id (${tag.className})`);
    if (tag.className === REFERENCE_TAGS.back) {
      const entry = this.#exports.get(id);
      if (entry === undefined) throw rpcError('RPC_BAD_REQUEST', `unknown reference ${id}: released, or never given`);
      return entry.value;
    }
    const known = this.#imports.get(id);
    const live = known?.stub.deref();
    if (known !== undefined && live !== undefined && !known.released) {
      known.count++;
      made.push(known);
      return live;
    }
    if (this.#imports.size >= this.#limits.maxImports)
      throw rpcError(
        'RPC_LIMIT',
        `holding ${this.#imports.size} references of the peer; the limit is ${this.#limits.maxImports}`,
      );
    const { stub, stream } = this.#newStub(tag, id, signal);
    const entry: Import = { id, stub: new WeakRef(stub), count: 1, released: false, ...(stream ? { stream } : {}) };
    owners.set(stub, { table: this, entry });
    this.#imports.set(id, entry);
    this.#collector.register(stub, entry, entry);
    made.push(entry);
    if (stream !== undefined && signal?.aborted) this.#release(entry); // its call was given up on already
    return stub;
  }

  #newStub(
    tag: TaggedValue,
    id: number,
    signal: AbortSignal | undefined,
  ): { stub: object; stream?: RemoteStream<unknown> } {
    const handle = {
      release: (): void => {
        const entry = this.#imports.get(id);
        if (entry?.stub.deref() === stub) this.#release(entry);
      },
    };
    let stub: object;
    switch (tag.className) {
      case REFERENCE_TAGS.function:
        stub = Object.assign((...args: unknown[]) => this.#call(stub, id, undefined, args), handle, {
          [Symbol.dispose]: handle.release,
        });
        return { stub };
      case REFERENCE_TAGS.target: {
        const names = tag.values[1];
        if (!Array.isArray(names) || names.length > MAX_METHODS || !names.every((n) => typeof n === 'string'))
          throw rpcError('RPC_BAD_REQUEST', `target reference ${id} without a valid method list`);
        const methods: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
        for (const name of names as string[])
          if (name !== 'release') methods[name] = (...args: unknown[]) => this.#call(stub, id, name, args);
        // A stub passed on to a third party travels as a target exposing the same methods.
        const exposed = Object.keys(methods);
        stub = target(Object.assign(methods, handle, { [Symbol.dispose]: handle.release }), exposed);
        return { stub };
      }
      case REFERENCE_TAGS.stream: {
        const stream = new RemoteStream<unknown>(
          this.#limits.streamWindow,
          {
            pull: (credit) => this.#notify({ cmd: 'pull', ref: id, credit }),
            cancel: () => {
              const entry = this.#imports.get(id);
              if (entry?.stream === stream) this.#release(entry);
            },
          },
          signal,
        );
        stub = stream;
        return { stub, stream };
      }
      default:
        throw rpcError('RPC_BAD_REQUEST', `unknown reference kind ${tag.className}`);
    }
  }

  async #call(stub: object, id: number, method: string | undefined, args: unknown[]): Promise<unknown> {
    const entry = owners.get(stub)?.entry;
    if (this.#closed !== undefined) throw rpcError('RPC_DISCONNECTED', `reference ${id}: ${this.#closed.message}`);
    if (entry === undefined || entry.released) throw rpcError('RPC_RELEASED', `reference ${id} was released`);
    const { values, refs } = this.encode(args);
    const request: Message<CallRequest> = { cmd: 'call', ref: id, params: values };
    if (method !== undefined) request.method = method;
    if (refs) request.refs = 1;
    const rc = this.results(await this.#peer.call(request));
    return rc.length > 1 ? rc : rc[0];
  }

  /** Gives every hand-over of a stub back to the peer at once; its calls fail from now on. */
  #release(entry: Import): void {
    if (entry.released) return;
    entry.released = true;
    this.#collector.unregister(entry);
    this.#forget(entry);
    entry.stream?.cancel();
    if (entry.count > 0 && this.#closed === undefined)
      this.#notify({ cmd: 'release', ref: entry.id, count: entry.count });
    entry.count = 0;
  }

  /** Gives back the references a refused message brought that were not made into stubs yet. */
  #giveBack(values: unknown): void {
    eachReference(values, 0, (tag, id) => {
      if (tag !== REFERENCE_TAGS.back) this.#notify({ cmd: 'release', ref: id, count: 1 });
    });
  }

  /** Gives one hand-over back (a message that brought it was refused, or the object it was given to went). */
  #releaseOne(entry: Import): void {
    if (entry.released) return;
    if (entry.count <= 1) return this.#release(entry);
    entry.count--;
    this.#notify({ cmd: 'release', ref: entry.id, count: 1 });
  }

  #forget(entry: Import): void {
    if (this.#imports.get(entry.id) === entry) this.#imports.delete(entry.id);
    entry.released = true;
    this.#collector.unregister(entry);
  }

  #notify(message: Notice): void {
    if (this.#closed !== undefined) return;
    try {
      this.#peer.notify(message);
    } catch {
      // The connection is going: it frees both sides' references as it ends.
    }
  }
}
