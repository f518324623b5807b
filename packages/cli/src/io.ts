import { createInterface, type Interface } from 'node:readline';
import type { Readable } from 'node:stream';

/** Where text goes: `process.stdout` and `process.stderr` in the bin, anything with `write(text)` in tests. */
export interface TextSink {
  /** Writes `text` as it is (lines end with `\n`). */
  write(text: string): unknown;
}

/** Standard input: `process.stdin` in the bin, any readable stream in tests. */
export type TextSource = Readable & {
  /** True when a person types at a terminal: the password is then read without echo, and call lines are prompted. */
  readonly isTTY?: boolean;
  /** A terminal's raw mode (`process.stdin.setRawMode`), for reading a password without echo. */
  setRawMode?(raw: boolean): unknown;
};

/** What a run of `rpc` reads and writes; {@link run} takes it, so that a program or a test can run `rpc` in-process. */
export interface CliIo {
  /** Results (JSON), listings, help and log lines. */
  readonly stdout: TextSink;
  /** Errors (`error CODE: message`), prompts and the notes of `--verbose`. */
  readonly stderr: TextSink;
  /** The password when it is not given otherwise, and the call lines of `rpc call --object`; none reads as empty. */
  readonly stdin?: TextSource;
  /** The environment, for `RPC_PASSWORD`; none by default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Aborting it ends the command (its connection is closed) with exit status 130; the bin aborts it on SIGINT. */
  readonly signal?: AbortSignal;
  /** What `rpc --version` prints after `rpc (@rpc/cli)`. */
  readonly version?: string;
}

/**
 * The lines of stdin, read one at a time as they are needed: the password first (when it comes from stdin), then
 * the call lines of a session. `close()` stops reading, so that stdin no longer keeps the process alive.
 */
export class LineReader {
  readonly #lines: Interface | undefined;
  readonly #iterator: AsyncIterator<string> | undefined;
  #read = 0;

  constructor(input: Readable | undefined) {
    if (input === undefined) return;
    this.#lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
    this.#iterator = this.#lines[Symbol.asyncIterator]();
  }

  /** The next line without its line end, or undefined at the end of input. */
  async next(): Promise<string | undefined> {
    if (this.#iterator === undefined) return undefined;
    const { value, done } = await this.#iterator.next();
    if (done === true) return undefined;
    this.#read++;
    return value;
  }

  /** The number of the line read last (1 for the first), for messages. */
  get lineNumber(): number {
    return this.#read;
  }

  /** Stops reading (and pauses the input). */
  close(): void {
    this.#lines?.close();
  }
}
