import { freePortPair } from '@rpc/testkit';
import { Readable } from 'node:stream';
import { exportClass } from '@rpc/core';
import { returnList, Server, type ServerOptions } from '@rpc/server';
import { run, type CliIo } from '../src/index.js';

/** What one run of `rpc` did. */
export interface Outcome {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `rpc argv...` in this process, with `stdin` as its standard input (none: empty). */
export async function rpc(
  argv: readonly string[],
  options: {
    stdin?: string | Readable;
    env?: Record<string, string>;
    signal?: AbortSignal;
    /** Called with all of stdout so far, after each write. */
    onStdout?: (stdout: string) => void;
  } = {},
): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const stdin = typeof options.stdin === 'string' ? Readable.from([options.stdin]) : options.stdin;
  const io: CliIo = {
    stdout: {
      write: (text: string) => {
        stdout += text;
        options.onStdout?.(stdout);
      },
    },
    stderr: { write: (text: string) => (stderr += text) },
    ...(stdin === undefined ? {} : { stdin }),
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    version: '9.9.9',
  };
  const status = await run(argv, io);
  return { status, stdout, stderr };
}

/** The lines of `text` that are JSON documents, one a line (what `--json` prints). */
export function jsonLines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);
}

/** The class our test servers export. */
export class Notebook {
  static #shared: Notebook | undefined;
  readonly #lines: string[] = [];

  constructor(readonly title: string = 'untitled') {}

  static shared(): Notebook {
    Notebook.#shared ??= new Notebook('shared');
    return Notebook.#shared;
  }

  write(...lines: string[]): number {
    return this.#lines.push(...lines);
  }

  read(): string[] {
    return this.#lines;
  }

  name(): string {
    return this.title;
  }

  sum(...numbers: number[]): number {
    return numbers.reduce((a, b) => a + b, 0);
  }

  echo(...values: unknown[]): unknown[] {
    return values;
  }

  pair(): ReturnType<typeof returnList> {
    return returnList(this.title, this.#lines.length);
  }

  copy(title: string): Notebook {
    const copy = new Notebook(title);
    copy.write(...this.#lines);
    return copy;
  }

  bytes(): Uint8Array {
    return new Uint8Array([0, 1, 254, 255]);
  }

  fail(message: string): never {
    throw new Error(message);
  }

  /** Never answers (for --timeout). */
  hang(): Promise<never> {
    return new Promise(() => undefined);
  }
}

/** A class whose only constructor is a singleton. */
export class Clock {
  static #instance = new Clock();

  static instance(): Clock {
    return Clock.#instance;
  }

  zone(): string {
    return 'UTC';
  }
}

/** A class with two constructors, neither named `new`. */
export class Pair {
  constructor(readonly left: unknown = null) {}

  static of(left: unknown): Pair {
    return new Pair(left);
  }

  static empty(): Pair {
    return new Pair();
  }

  get(): unknown {
    return this.left;
  }
}

export const CLASSES = {
  'My::Notebook': exportClass(Notebook, {
    new: '_constructor',
    shared: '_singleton',
    write: 1,
    read: 1,
    name: 1,
    sum: 1,
    echo: 1,
    pair: 1,
    copy: '_object',
    bytes: 1,
    fail: 1,
    hang: 1,
  }),
  Clock: exportClass(Clock, { instance: '_singleton', zone: 1 }),
  Pair: exportClass(Pair, { of: '_constructor', empty: '_constructor', get: 1 }),
};

/**
 * A started @rpc/server on 127.0.0.1 exporting {@link CLASSES}, silent. With a log listener (port + 1) it starts on
 * a port whose next one was free; another test may take that one in between, so it tries again a few times.
 */
export async function startServer(options: Partial<ServerOptions> = {}): Promise<Server> {
  for (let attempt = 1; ; attempt++) {
    const server = new Server({
      host: '127.0.0.1',
      port: options.startLogListener ? await freePortPair() : 0,
      logger: { log: () => undefined },
      classes: CLASSES,
      shutdownTimeoutMs: 100,
      ...options,
    });
    try {
      return await server.start();
    } catch (error) {
      if (attempt >= 5 || (error as { code?: string }).code !== 'LOOP_ADDRESS_IN_USE') throw error;
    }
  }
}
