import { errorText } from './answering.js';

/** Where a {@link StreamSource} sends its values. */
export interface StreamSink {
  /** Sends `values`; `done` ends the stream, with `error` when the producer failed. */
  push(values: unknown[], done: boolean, error?: string): void;
}

/** A batch is sent once it holds this many values, or about this many bytes, or at the end of the loop's turn. */
const BATCH_VALUES = 256;
const BATCH_BYTES = 64 * 1024;

/** A rough size of a value, to keep batches well under any message size limit without encoding twice. */
function sizeOf(value: unknown): number {
  if (typeof value === 'string') return value.length * 3;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  return 16;
}

/**
 * The producing end of a stream: pulls values from an async iterable only
 * while the consumer has given credit for them, so the producer runs at the
 * consumer's pace. Values are batched within one turn of the loop.
 */
export class StreamSource {
  readonly #iterable: AsyncIterable<unknown>;
  readonly #sink: StreamSink;
  readonly #defer: (task: () => void) => void;
  #iterator: AsyncIterator<unknown> | undefined;
  #credit = 0;
  #running = false;
  #stopped = false;
  #batch: unknown[] = [];
  #bytes = 0;
  #flushing = false;

  constructor(iterable: AsyncIterable<unknown>, sink: StreamSink, defer: (task: () => void) => void) {
    this.#iterable = iterable;
    this.#sink = sink;
    this.#defer = defer;
  }

  /** The consumer has room for `credit` more values. */
  grant(credit: number): void {
    if (this.#stopped || !(credit > 0)) return;
    this.#credit += Math.floor(credit);
    if (!this.#running) void this.#pump();
  }

  /** The consumer stopped (or the connection went): the iterator is closed, its `finally` blocks run. */
  cancel(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#batch = [];
    void this.#close();
  }

  async #close(): Promise<void> {
    try {
      await this.#iterator?.return?.();
    } catch {
      // The producer's cleanup failed; nobody is listening any more.
    }
  }

  async #pump(): Promise<void> {
    this.#running = true;
    try {
      this.#iterator ??= this.#iterable[Symbol.asyncIterator]();
      while (this.#credit > 0 && !this.#stopped) {
        const step = await this.#iterator.next();
        if (this.#stopped) return;
        if (step.done) return this.#end(undefined);
        this.#credit--;
        this.#batch.push(step.value);
        this.#bytes += sizeOf(step.value);
        if (this.#credit === 0 || this.#batch.length >= BATCH_VALUES || this.#bytes >= BATCH_BYTES) this.#flush();
        else if (!this.#flushing) {
          this.#flushing = true;
          this.#defer(this.#flushLater);
        }
      }
    } catch (error) {
      if (!this.#stopped) this.#end(errorText(error));
    } finally {
      this.#running = false;
    }
  }

  readonly #flushLater = (): void => {
    this.#flushing = false;
    if (!this.#stopped) this.#flush();
  };

  #flush(): void {
    if (this.#batch.length === 0) return;
    const values = this.#batch;
    this.#batch = [];
    this.#bytes = 0;
    this.#sink.push(values, false);
  }

  #end(error: string | undefined): void {
    this.#stopped = true;
    const values = this.#batch;
    this.#batch = [];
    this.#sink.push(values, true, error);
  }
}
