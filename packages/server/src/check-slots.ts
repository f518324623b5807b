/** Gives a slot back; calling it again does nothing. */
export type ReleaseSlot = () => void;

/**
 * The server's credential checks: at most `size` run at once, whatever the
 * number of connections, so that parallel connections buy no more password
 * checks per second than the server can spare; at most `queue` wait for a
 * slot, and further logins are refused at once instead of piling up.
 */
export class CheckSlots {
  readonly size: number;
  readonly queue: number;
  readonly #log: (message: string) => void;
  readonly #waiting: Array<(release: ReleaseSlot) => void> = [];
  #running = 0;
  /** Logins refused since the queue last had room: told in one line once it has room again. */
  #refused = 0;

  constructor(size: number, queue: number, log: (message: string) => void) {
    this.size = size;
    this.queue = queue;
    this.#log = log;
  }

  /** Checks running now. */
  get running(): number {
    return this.#running;
  }

  /** Logins waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** A slot once one is free, in turn; undefined at once when the queue is full. */
  acquire(): Promise<ReleaseSlot> | undefined {
    if (this.#running < this.size) {
      this.#running++;
      this.#roomAgain();
      return Promise.resolve(this.#release());
    }
    if (this.#waiting.length >= this.queue) {
      if (this.#refused++ === 0)
        this.#log(`Login checks busy (${this.#running} running, ${this.#waiting.length} waiting): refusing logins`);
      return undefined;
    }
    this.#roomAgain();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      // The slot passes straight to the next in line, so nobody can slip in between.
      if (next === undefined) this.#running--;
      else next(this.#release());
    };
  }

  #roomAgain(): void {
    if (this.#refused === 0) return;
    this.#log(`Login checks no longer busy: ${this.#refused} login(s) refused meanwhile`);
    this.#refused = 0;
  }
}
