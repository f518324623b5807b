import type { Channel, Endpoint, Listener, Loop } from '@rpc/loop';

/** The most of a request read: enough for a balancer's `GET /health HTTP/1.1` and a few headers. */
const MAX_REQUEST = 4096;
/** A checker still connected this long after it connected is dropped. */
const IDLE_TIMEOUT_MS = 5_000;
/** Checkers at once; more are closed at once (a balancer sends one per check interval). */
const MAX_CHECKERS = 64;
const END_OF_HEAD = /\r?\n\r?\n/;
const utf8 = new TextEncoder();
const latin1 = new TextDecoder('latin1');

/**
 * A balancer's health check on its own port: any request (`GET /health`, any path) is answered `200 up` while
 * `isUp()`, `503 draining` after, and the connection closed. A TCP check that only connects also succeeds while the
 * port is open. Runs on the server's Loop, so it works on every adapter.
 */
export class HealthEndpoint implements AsyncDisposable {
  readonly #listener: Listener;
  readonly #open: Set<Channel>;

  private constructor(listener: Listener, open: Set<Channel>) {
    this.#listener = listener;
    this.#open = open;
  }

  /** Listens at `endpoint` (port 0 picks a free one: see `port`). */
  static async start(loop: Loop, endpoint: Endpoint, isUp: () => boolean): Promise<HealthEndpoint> {
    const open = new Set<Channel>();
    const listener = await loop.listen(endpoint, (channel) => answer(loop, channel, open, isUp));
    return new HealthEndpoint(listener, open);
  }

  /** The bound TCP port. */
  get port(): number {
    const address = this.#listener.address;
    return 'port' in address ? address.port : 0;
  }

  /** Stops listening and drops checkers still connected. */
  async close(): Promise<void> {
    await this.#listener.close();
    for (const channel of this.#open) channel.destroy();
  }

  /** close(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Reads the request head (at most MAX_REQUEST bytes), answers, and closes. */
function answer(loop: Loop, channel: Channel, open: Set<Channel>, isUp: () => boolean): void {
  if (open.size >= MAX_CHECKERS) return channel.destroy();
  open.add(channel);
  const idle = loop.timer(IDLE_TIMEOUT_MS, () => channel.destroy());
  channel.on('close', () => {
    idle.cancel();
    open.delete(channel);
  });
  let head = '';
  let answered = false;
  channel.on('data', (chunk) => {
    if (answered) return; // what comes after the request is read and dropped until the close
    head += latin1.decode(chunk.subarray(0, MAX_REQUEST - head.length));
    if (!END_OF_HEAD.test(head) && head.length < MAX_REQUEST) return;
    answered = true; // the idle timer runs on: it drops a checker that does not close its side
    const [status, body] = isUp() ? ['200 OK', 'up\n'] : ['503 Service Unavailable', 'draining\n'];
    const headers = `Content-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close`;
    channel.write(utf8.encode(`HTTP/1.0 ${status}\r\n${headers}\r\n\r\n${body}`));
    channel.close();
  });
}
