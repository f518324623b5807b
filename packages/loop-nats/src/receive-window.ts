/** What {@link ReceiveWindow.accept} made of a data message. */
export type Arrival = 'in order' | 'duplicate' | 'gap' | 'overrun';

/**
 * The receiving half of a session's flow control, with no NATS in it: data
 * messages are taken in stream order (a repeat, sent again after a NATS
 * reconnect, is dropped; a message past a gap asks for a resend), held while
 * the channel does not read, and acknowledged once delivered, so that the
 * peer never has more than `window` bytes on their way or waiting here.
 */
export class ReceiveWindow {
  /** Offset of the next byte expected. */
  arrived = 0;
  /** Offset handed to the channel's reader. */
  delivered = 0;
  /** Offset last acknowledged to the peer. */
  acked = 0;
  /** The window this side gave the peer. */
  readonly window: number;
  readonly #held: Uint8Array[] = [];

  constructor(window: number) {
    this.window = window;
  }

  /** Takes a data message that starts at `offset`. */
  accept(offset: number, bytes: Uint8Array): Arrival {
    if (offset > this.arrived) return 'gap';
    const fresh = offset < this.arrived ? bytes.subarray(this.arrived - offset) : bytes;
    if (fresh.length === 0) return offset === this.arrived ? 'in order' : 'duplicate';
    if (this.arrived + fresh.length - this.delivered > this.window) return 'overrun';
    this.#held.push(fresh);
    this.arrived += fresh.length;
    return 'in order';
  }

  /** What arrived and was not delivered yet, now counted as delivered. */
  take(): Uint8Array[] {
    const chunks = this.#held.splice(0);
    this.delivered = this.arrived;
    return chunks;
  }

  /** True when enough was delivered since the last acknowledgement that the peer should hear of it. */
  get ackDue(): boolean {
    return this.delivered - this.acked >= this.window / 4;
  }

  /** Counts an acknowledgement sent; returns its offset. */
  acknowledge(): number {
    this.acked = this.delivered;
    return this.acked;
  }
}
