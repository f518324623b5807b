import { Emitter } from '@rpc/loop';

interface Events {
  data: (chunk: string, n: number) => void;
  close: () => void;
}

describe('Emitter', () => {
  it('calls listeners with their arguments until their subscription is disposed', () => {
    const emitter = new Emitter<Events>();
    const seen: string[] = [];
    const sub = emitter.on('data', (chunk, n) => seen.push(`${chunk}${n}`));
    expect(emitter.emit('data', 'a', 1)).toBe(true);
    sub.dispose();
    expect(emitter.emit('data', 'b', 2)).toBe(false);
    expect(seen).toEqual(['a1']);
  });

  it('supports `using` for scoped subscriptions and keeps events apart', () => {
    const emitter = new Emitter<Events>();
    let closes = 0;
    {
      using _sub = emitter.on('close', () => closes++);
      emitter.emit('close');
      expect(emitter.listenerCount('close')).toBe(1);
      expect(emitter.listenerCount('data')).toBe(0);
    }
    emitter.emit('close');
    expect(closes).toBe(1);
  });
});

describe('Emitter with onListenerError', () => {
  it('hands each throwing listener to it and still calls the others', () => {
    const caught: Array<[unknown, string]> = [];
    const emitter = new Emitter<{ tick: (n: number) => void }>({
      onListenerError: (error, event) => caught.push([error, String(event)]),
    });
    const seen: number[] = [];
    emitter.on('tick', () => {
      throw new Error('listener bug');
    });
    emitter.on('tick', (n) => seen.push(n));
    expect(emitter.emit('tick', 1)).toBe(true);
    expect(seen).toEqual([1]);
    expect(caught).toEqual([[new Error('listener bug'), 'tick']]);
  });
});
