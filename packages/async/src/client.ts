import type { Codec } from '@rpc/codec';
import type { Endpoint } from '@rpc/loop';
import { connect, type Connection, type ConnectOptions } from '@rpc/msg';
import { asyncError } from './errors.js';
import { CALL, defaultCodec, parseWire, RETURN } from './wire.js';
import { type RpcError } from '@rpc/loop';

/** Told the values a procedure returned, or why it failed. */
export type ReturnCallback = (error: RpcError | undefined, values: unknown[]) => void;

export interface AsyncClientOptions extends ConnectOptions {
  readonly codec?: Codec;
}

interface Pending {
  resolve(values: unknown[]): void;
  reject(error: RpcError): void;
}

/** RPC::Async::Client: calls procedures; many may be outstanding, each answered when its procedure returns. */
export class AsyncClient implements AsyncDisposable {
  readonly #conn: Connection;
  readonly #codec: Codec;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  private constructor(conn: Connection, codec: Codec) {
    this.#conn = conn;
    this.#codec = codec;
  }

  static async connect(endpoint: Endpoint, options: AsyncClientOptions = {}): Promise<AsyncClient> {
    const conn = await connect(endpoint, undefined, options);
    const client = new AsyncClient(conn, options.codec ?? defaultCodec());
    conn.onMessage = (_conn, msg, error) => (msg === undefined ? client.#closed(error) : client.#receive(msg));
    return client;
  }

  /** Calls `procedure`; resolves with the values it returned. */
  call(procedure: string, ...args: unknown[]): Promise<unknown[]> {
    if (this.#conn.closed) return Promise.reject(asyncError('ASYNC_DISCONNECTED', 'not connected'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#conn.sendLater(this.#codec.encode([CALL, id, procedure, args]));
      this.#pending.set(id, { resolve, reject });
    });
  }

  /** Calls `procedure` and tells `done` the result, as RPC::Async's callback style. */
  callback(procedure: string, args: readonly unknown[], done: ReturnCallback): void {
    this.call(procedure, ...args).then(
      (values) => done(undefined, values),
      (error: RpcError) => done(error, []),
    );
  }

  /** Calls waiting for their procedure to return. */
  get outstanding(): number {
    return this.#pending.size;
  }

  close(): Promise<void> {
    return this.#conn.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #receive(message: Uint8Array): void {
    let answer;
    try {
      answer = parseWire(this.#codec.decode(message));
    } catch {
      answer = undefined;
    }
    if (answer === undefined || answer.kind !== RETURN) return this.#conn.destroy(asyncError('ASYNC_BAD_MESSAGE', 'the server sent something that is not a return'));
    const pending = this.#pending.get(answer.id);
    this.#pending.delete(answer.id);
    if (answer.error === null) pending?.resolve(answer.values);
    else pending?.reject(asyncError('ASYNC_REMOTE', answer.error));
  }

  #closed(error: Error | undefined): void {
    const failure = asyncError('ASYNC_DISCONNECTED', error ? `connection lost: ${error.message}` : 'the server closed the connection with calls outstanding', { cause: error });
    for (const pending of this.#pending.values()) pending.reject(failure);
    this.#pending.clear();
  }
}
