import { ReceiveWindow, SendWindow } from '@rpc/loop-nats';

const bytes = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill);

describe('SendWindow', () => {
  it('sends as far as the credit goes, split at max_payload, small writes merged, and keeps it until acknowledged', () => {
    const send = new SendWindow(100, 40);
    const flushed: string[] = [];
    send.push([bytes(10), bytes(10)], () => flushed.push('two small'));
    send.push([bytes(150)], () => flushed.push('large'));
    const sizes: number[] = [];
    for (let out = send.next(); out !== undefined; out = send.next()) {
      sizes.push(out.payload.length);
      for (const onFlushed of out.flushed) onFlushed();
    }
    expect(sizes).toEqual([40, 40, 20]); // the window of 100 is spent; the small writes went merged in the first
    expect(flushed).toEqual(['two small']);
    expect([send.sent, send.queued, send.credit]).toEqual([100, 70, 0]);
    expect(send.keptFrom(50).map((m) => m.offset)).toEqual([40, 80]);
    expect(send.ack(60)).toBe(true);
    expect(send.keptFrom(0).map((m) => m.offset)).toEqual([40, 80]); // 0-40 is forgotten once acknowledged
    expect(send.credit).toBe(60);
    expect(send.ack(60)).toBe(false);
    expect(send.ack(1000)).toBe(false); // past what was sent: ignored
    send.ack(100);
    for (let out = send.next(); out !== undefined; out = send.next()) for (const onFlushed of out.flushed) onFlushed();
    expect(flushed).toEqual(['two small', 'large']);
    expect(send.queued).toBe(0);
  });

  it('hands back the callbacks of what never went', () => {
    const send = new SendWindow(10, 10);
    const never = (): void => undefined;
    send.push([bytes(30)], never);
    send.next();
    expect(send.clear()).toEqual([never]);
  });
});

describe('ReceiveWindow', () => {
  it('takes data in stream order, drops repeats, reports gaps and overruns, and acknowledges a quarter window', () => {
    const receive = new ReceiveWindow(100);
    expect(receive.accept(0, bytes(20))).toBe('in order');
    expect(receive.accept(40, bytes(10))).toBe('gap');
    expect(receive.accept(0, bytes(20))).toBe('duplicate');
    expect(receive.accept(10, bytes(20, 2))).toBe('in order'); // half repeated: the new half is kept
    expect(receive.arrived).toBe(30);
    expect(receive.ackDue).toBe(false);
    expect(receive.take().map((chunk) => chunk.length)).toEqual([20, 10]);
    expect(receive.ackDue).toBe(true);
    expect(receive.acknowledge()).toBe(30);
    expect(receive.accept(30, bytes(101))).toBe('overrun');
    expect(receive.accept(30, bytes(100))).toBe('in order');
    expect(receive.accept(130, bytes(1))).toBe('overrun'); // nothing taken: the window is full
  });
});
