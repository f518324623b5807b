import { TaggedValue } from '@rpc/codec';
import type { ClassRegistry, ExportedClass } from './classes.js';
import { instanceMethod, type AnyFunction } from './methods.js';
import type { HeldObject, ObjectTable } from './object-table.js';
import type { Capabilities } from './capabilities.js';
import { REFERENCE_TAGS } from './references.js';
import type { KeptResults } from './kept-results.js';
import {
  EVENT_RPC_PROTOCOL,
  EVENT_RPC_VERSION,
  type Answer,
  type IncomingRequest,
  type MethodKind,
  type PeerFeatures,
  type Request,
  type RequestEnvelope,
} from './protocol.js';
import { rcOf } from './results.js';
import { type Answering, answerError, fail, failWith, isThenable, settle, then } from './answering.js';

/** What the dispatcher needs to know of the connection a request came on. */
export interface Session {
  /** The objects this connection was given: the only ids its requests may use. */
  readonly objects: ObjectTable;
  /** False until the connection has authenticated, where authentication is required. */
  readonly authorized: boolean;
  /** Answers `auth` and `auth_scram`: where the server's authentication slots in. */
  authenticate(request: Extract<Request, { cmd: 'auth' | 'auth_scram' }>): Answer | Promise<Answer>;
  /** Whether the connection's user may call `method` (a constructor too) of `className`; all when absent. */
  allows?(className: string, method: string): boolean;
  /** The richer protocol this server offers `@rpc` peers in the version answer. */
  readonly features: PeerFeatures;
  /** References given and taken, once the client has agreed on capabilities. */
  readonly capabilities?: Capabilities | undefined;
  /** Results kept for pipelined calls, once the client has agreed on capabilities. */
  readonly kept?: KeptResults | undefined;
  /** The running call's signal: streams passed to the call end when it aborts. */
  signal?(): AbortSignal | undefined;
}

const unknownObject = (oid: string): Answer => fail(`Illegal access to unknown object with oid=${oid}`);
const denied = (className: string, method: string): Answer => fail(`Access denied to ${className}->${method}`);

/** How a {@link Dispatcher} gets classes ready. */
export interface DispatcherOptions {
  /**
   * Called before a class is used by `new` or `exec`: where the server
   * imports or reloads the class's module. Returns a promise only when it
   * has work to do.
   */
  readonly prepare?: (exported: ExportedClass) => void | Promise<void>;
}

/**
 * Executes Event::RPC requests against the exported classes and one
 * connection's objects, with Event::RPC's answers and error texts. Answers
 * synchronously when the method does, so that a plain call costs no promise.
 */
export class Dispatcher {
  /** The exported classes: everything requests can reach. */
  readonly classes: ClassRegistry;
  readonly #prepare: DispatcherOptions['prepare'];

  constructor(classes: ClassRegistry, options: DispatcherOptions = {}) {
    this.classes = classes;
    this.#prepare = options.prepare;
  }

  /** The answer to `request`; never throws, never rejects. */
  dispatch(request: IncomingRequest, session: Session): Answering {
    try {
      switch (request.cmd) {
        case 'exec':
          return this.#exec(request, session);
        case 'version': {
          const answer: Answer = { ok: 1, version: EVENT_RPC_VERSION, protocol: EVENT_RPC_PROTOCOL };
          // Only a peer that offered the richer protocol hears of it; Perl clients get Event::RPC's answer exactly.
          if (request.rpc !== undefined) answer.rpc = session.features;
          return answer;
        }
        case 'auth':
        case 'auth_scram':
          return settle(session.authenticate(request));
      }
      if (!session.authorized) return fail('Authorization required');
      switch (request.cmd) {
        case 'new':
          return this.#construct(request, session);
        case 'call':
          if (session.capabilities === undefined) break;
          return session.capabilities.serve(request);
        case 'client_destroy':
          return this.#destroy(request.oid, session);
        case 'classes_list':
          return { ok: 1, classes: this.#visible(session).map((exported) => exported.name) };
        case 'class_info': {
          const exported = this.#visible(session).find((c) => c.name === request.class);
          return exported
            ? { ok: 1, methods: this.#info(exported, session) }
            : fail(`Unknown class '${request.class}'`);
        }
        case 'class_info_all': {
          const all: Record<string, unknown> = {};
          for (const exported of this.#visible(session)) all[exported.name] = this.#info(exported, session);
          return { ok: 1, class_info_all: all };
        }
      }
      return fail(`Unknown request command '${request.cmd === 'unknown' ? request.name : request.cmd}'`);
    } catch (error) {
      return failWith(error);
    }
  }

  /** Drops one reference to an object; once it is gone, so are the client's stubs its methods were given. */
  #destroy(oid: string, session: Session): Answer {
    const held = session.objects.get(oid);
    // Releasing an id this connection does not hold is an error, as every other use of an unknown id.
    if (held === undefined || !session.objects.release(oid)) return unknownObject(oid);
    if (session.objects.get(oid) === undefined) session.capabilities?.releaseHeld(held.object);
    return { ok: 1 };
  }

  #construct(request: Extract<Request, { cmd: 'new' }>, session: Session): Answering {
    const full = request.method;
    const at = full.lastIndexOf('::');
    const [className, method] = at < 0 ? ['', full] : [full.slice(0, at), full.slice(at + 2)];
    const exported = this.classes.get(className);
    const kind = exported?.methods.get(method);
    if (exported === undefined || (kind !== '_constructor' && kind !== '_singleton'))
      return fail(`Illegal constructor access to ${className}->${method}`);
    if (session.allows?.(className, method) === false) return denied(className, method);
    // The stubs among the arguments live as long as the object made with them.
    const holder = {};
    const created = (object: unknown): Answer => {
      if (object === null || typeof object !== 'object')
        return fail(`${className}->${method} did not return an object`);
      const oid = this.#export(object, session, kind === '_singleton');
      session.capabilities?.transferHeld(holder, object);
      return { ok: 1, oid };
    };
    let answer: Answering;
    try {
      answer = this.#afterPrepare(exported, () =>
        then(this.#params(request, session, holder), (params) =>
          then(exported.construct(method, params as unknown[]), created),
        ),
      );
    } catch (error) {
      answer = failWith(error);
    }
    // A constructor that failed keeps none of the stubs it was given.
    const released = (done: Answer): Answer => {
      if (done.ok !== 1) session.capabilities?.releaseHeld(holder);
      return done;
    };
    return answer instanceof Promise ? answer.then(released) : released(answer);
  }

  #exec(request: Extract<Request, { cmd: 'exec' }>, session: Session): Answering {
    if (!session.authorized) return fail('Authorization required');
    if (request.on !== undefined) return this.#pipelined(request, request.on, session);
    const { oid, method } = request;
    const held = session.objects.get(oid);
    if (held === undefined) return unknownObject(oid);
    const exported = this.classes.get(held.className);
    const kind = exported?.methods.get(method);
    if (exported === undefined || (kind !== 1 && kind !== '_object'))
      return fail(`Illegal access to ${held.className}->${method}`);
    if (session.allows?.(held.className, method) === false) return denied(held.className, method);
    const loading = this.#prepare?.(exported);
    if (loading) return settle(loading.then(() => this.#call(held, kind, request, session)));
    return this.#call(held, kind, request, session); // no closures: this is every call
  }

  /** A call on the object an earlier call returns (`on`), run once that call has answered; its failure is this one. */
  #pipelined(request: Extract<Request, { cmd: 'exec' }>, on: number, session: Session): Answering {
    const kept = session.kept?.get(on);
    if (kept === undefined) return fail(`call ${on} has no result kept for pipelining`);
    return then(kept, (value) => {
      const answer = value as Answer;
      if (answer.ok !== 1) return failWith(answerError(answer, `call ${on} failed`)); // with its code
      const oid = answer.oid ?? (Array.isArray(answer.rc) && answer.rc.length === 1 ? answer.rc[0] : undefined);
      if (typeof oid !== 'string') return fail(`call ${on} did not return an object`);
      const { on: _, ...direct } = request;
      return this.#exec({ ...direct, oid }, session);
    });
  }

  #call(
    held: HeldObject,
    kind: MethodKind,
    request: Extract<Request, { cmd: 'exec' }> & RequestEnvelope,
    session: Session,
  ): Answering {
    const method = request.method;
    const fn: AnyFunction | undefined = instanceMethod(held.object, method);
    if (fn === undefined) return fail(`Illegal access to ${held.className}->${method}`);
    const params = this.#params(request, session, held.object);
    if (params instanceof Promise) return settle(params.then((ready) => this.#apply(held, fn, kind, ready, session)));
    return this.#apply(held, fn, kind, params, session);
  }

  #apply(held: HeldObject, fn: AnyFunction, kind: MethodKind, params: unknown[], session: Session): Answering {
    const result: unknown = fn.apply(held.object, params);
    if (isThenable(result)) return then(result, (value) => this.#returned(value, kind, session));
    return this.#returned(result, kind, session);
  }

  #returned(result: unknown, kind: MethodKind, session: Session): Answer {
    const rc = rcOf(result);
    if (kind === '_object') return { ok: 1, rc: rc.map((value) => this.#exportOneLevel(value, session)) };
    return session.capabilities === undefined ? { ok: 1, rc } : session.capabilities.answer(rc);
  }

  /** Runs `use` once the class's module is ready: at once when it is (the usual case), else after loading. */
  #afterPrepare(exported: ExportedClass, use: () => Answering): Answering {
    const loading = this.#prepare?.(exported);
    return loading ? settle(loading.then(use)) : use();
  }

  /** The classes the session's user may use at all (those with at least one method granted). */
  #visible(session: Session): ExportedClass[] {
    const all = [...this.classes.values()];
    const allows = session.allows?.bind(session);
    return allows === undefined
      ? all
      : all.filter((exported) => [...exported.methods.keys()].some((method) => allows(exported.name, method)));
  }

  /** class_info as the session's user sees it: only the methods granted to them. */
  #info(exported: ExportedClass, session: Session): Record<string, MethodKind> {
    const info = exported.info();
    if (session.allows === undefined) return info;
    for (const method of Object.keys(info)) if (!session.allows(exported.name, method)) delete info[method];
    return info;
  }

  /**
   * The parameters as the method gets them: references become stubs, and top-level parameters that are objects of
   * this connection arrive as those objects (as Event::RPC swaps them).
   */
  #params(
    request: { params: unknown[] } & RequestEnvelope,
    session: Session,
    holder: object,
  ): unknown[] | Promise<unknown[]> {
    const params =
      request.refs === 1 && session.capabilities !== undefined
        ? session.capabilities.decode(request.params, session.signal?.(), holder)
        : request.params;
    let waiting: Promise<void>[] | undefined;
    for (let i = 0; i < params.length; i++) {
      const param: unknown = params[i];
      if (!(param instanceof TaggedValue)) continue;
      if (param.className === REFERENCE_TAGS.result) {
        // The object a call still running (or just answered) returns: pipelined as an argument.
        const on = param.values[0];
        const kept = typeof on === 'number' ? session.kept?.get(on) : undefined;
        if (kept === undefined) throw new Error(`call ${String(on)} has no result kept for pipelining`);
        const place = (answer: Answer): void => void (params[i] = this.#keptObject(answer, on as number, session));
        if (kept instanceof Promise) (waiting ??= []).push(kept.then(place));
        else place(kept);
        continue;
      }
      if (this.classes.get(param.className) === undefined) continue;
      const [kind, oid] = (param.values[0] ?? []) as [unknown, unknown];
      const held = kind === 'SCALAR' && typeof oid === 'string' ? session.objects.get(oid) : undefined;
      if (held === undefined) throw new Error(`Illegal access to unknown object with oid=${String(oid)}`);
      params[i] = held.object;
    }
    return waiting === undefined ? params : Promise.all(waiting).then(() => params);
  }

  /** The object call `on` returned, from its kept answer; its failure is the failure of the call that needs it. */
  #keptObject(answer: Answer, on: number, session: Session): object {
    if (answer.ok !== 1) throw answerError(answer, `call ${on} failed`);
    const oid = answer.oid ?? (Array.isArray(answer.rc) && answer.rc.length === 1 ? answer.rc[0] : undefined);
    const held = typeof oid === 'string' ? session.objects.get(oid) : undefined;
    if (held === undefined) throw new Error(`call ${on} did not return an object`);
    return held.object;
  }

  /** The id of `object` in the session's table, counting this hand-out; a singleton's instance is `pinned`. */
  #export(object: object, session: Session, pinned = false): string {
    const exported = this.classes.classOf(object);
    if (exported === undefined)
      throw new Error(`object of class ${object.constructor?.name ?? 'unknown'} is not exported`);
    return session.objects.add(object, exported.name, pinned);
  }

  /**
   * An object returner's value: an object becomes its id; a list's elements and a map's values one level down do too.
   */
  #exportOneLevel(value: unknown, session: Session): unknown {
    const asId = (item: unknown): unknown =>
      item !== null && typeof item === 'object' ? this.#export(item, session) : (item ?? null);
    if (value === null || value === undefined) return null;
    if (Array.isArray(value)) return value.map(asId);
    if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) out[key] = asId(item);
      return out;
    }
    return asId(value);
  }
}
