import { rpcError } from '@rpc/core';
import type { Loop, Timer } from '@rpc/loop';

export interface KeepAliveHost {
  readonly loop: Loop;
  /** Messages received so far: the client counts, so that a busy connection costs the keep-alive nothing. */
  readonly heard: number;
  /** Whether a ping may go now: a Perl server answers in order, so a ping would wait behind a long call. */
  canPing(): boolean;
  /** Sends the ping: resolves once answered, rejects past `deadlineMs`. */
  ping(deadlineMs: number): Promise<unknown>;
  /** The server did not answer: the connection is dead or the server hung. */
  dead(error: Error): void;
}

/**
 * Pings a server the client has heard nothing from for `intervalMs` (a
 * `version` request, which every Event::RPC server answers) and gives the
 * connection up when the ping is not answered within the same time: a peer
 * that vanished without closing (a cable pulled, a host gone) is noticed, as
 * by gRPC's keepalive or ws's ping and pong.
 */
export class KeepAlive {
  readonly #host: KeepAliveHost;
  readonly #intervalMs: number;
  #timer: Timer | undefined;
  #heard: number;

  constructor(host: KeepAliveHost, intervalMs: number) {
    this.#host = host;
    this.#intervalMs = intervalMs;
    this.#heard = host.heard;
    this.#arm();
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #arm(): void {
    this.#timer = this.#host.loop.timer(this.#intervalMs, () => this.#check());
  }

  #check(): void {
    const host = this.#host;
    if (host.heard !== this.#heard || !host.canPing()) {
      this.#heard = host.heard;
      return this.#arm();
    }
    host.ping(this.#intervalMs).then(
      () => {
        if (this.#timer === undefined) return;
        this.#heard = host.heard;
        this.#arm();
      },
      (error: unknown) => {
        if (this.#timer === undefined) return; // stopped meanwhile: the connection went for its own reasons
        const message = `no answer to a keep-alive ping within ${this.#intervalMs} ms`;
        host.dead(rpcError('RPC_DEADLINE', message, { cause: error }));
      },
    );
  }
}
