import { LoginLimiter, MAX_TRACKED } from '../src/login-limiter.js';

// The limiter sees only a clock: a number the test moves stands in for the loop's time.
function newLimiter(limits: Partial<ConstructorParameters<typeof LoginLimiter>[0]> = {}, maxTracked?: number) {
  const clock = { now: 0 };
  const notes: string[] = [];
  const limiter = new LoginLimiter(
    { authFailuresPerAddress: 3, authFailuresPerUser: 5, authFailureWindowMs: 60_000, ...limits },
    () => clock.now,
    (message) => notes.push(message),
    maxTracked,
  );
  return { limiter, clock, notes };
}

describe('LoginLimiter', () => {
  it('blocks an address for a whole window from the failure that reached its limit', () => {
    const { limiter, clock, notes } = newLimiter();
    limiter.failed('10.0.0.1', 'fred');
    clock.now = 50_000;
    limiter.failed('10.0.0.1', 'fred');
    expect(limiter.refuses('10.0.0.1')).toBe(false);
    limiter.failed('10.0.0.1', 'fred');
    expect([limiter.refuses('10.0.0.1'), limiter.refuses('10.0.0.1', 'nick'), limiter.refuses('10.0.0.2')]).toEqual([
      true,
      true,
      false,
    ]);
    clock.now = 50_000 + 59_999;
    expect(limiter.refuses('10.0.0.1')).toBe(true);
    clock.now = 50_000 + 60_000;
    expect(limiter.refuses('10.0.0.1')).toBe(false);
    expect(notes).toEqual([
      'Logins from 10.0.0.1 refused for 60 s: 3 failed logins',
      '3 login(s) from 10.0.0.1 were refused unchecked while blocked',
    ]);
  });

  it('forgets failures a window after the first one, below the limit', () => {
    const { limiter, clock } = newLimiter();
    limiter.failed('10.0.0.1', undefined);
    limiter.failed('10.0.0.1', undefined);
    clock.now = 60_000;
    limiter.failed('10.0.0.1', undefined);
    expect(limiter.refuses('10.0.0.1')).toBe(false);
    expect(limiter.failedLogins()).toEqual(new Map([['10.0.0.1', 1]]));
  });

  it('locks a user out of new addresses only: where it logged in before it still may, and without an address not', () => {
    const { limiter, clock } = newLimiter({ authFailuresPerAddress: Infinity });
    limiter.succeeded('192.0.2.1', 'fred');
    for (let i = 0; i < 5; i++) limiter.failed(`198.51.100.${i}`, 'fred');
    expect({
      known: limiter.refuses('192.0.2.1', 'fred'),
      fresh: limiter.refuses('203.0.113.1', 'fred'),
      unknownAddress: limiter.refuses(undefined, 'fred'),
      otherUser: limiter.refuses('203.0.113.1', 'nick'),
      nameNotYetKnown: limiter.refuses('203.0.113.1'),
    }).toEqual({ known: false, fresh: true, unknownAddress: true, otherUser: false, nameNotYetKnown: false });
    clock.now = 60_000;
    expect(limiter.refuses('203.0.113.1', 'fred')).toBe(false);
  });

  it('counts a user name of a megabyte by its first characters', () => {
    const { limiter } = newLimiter({ authFailuresPerUser: 1 });
    const long = 'x'.repeat(1 << 20);
    limiter.failed(undefined, long);
    expect(limiter.refuses(undefined, `${long}y`)).toBe(true);
    expect(limiter.refuses(undefined, 'x')).toBe(false);
  });

  it(`stays within ${MAX_TRACKED} entries per table with 100,000 addresses, forgetting the least recent first`, () => {
    const { limiter, clock } = newLimiter({ authFailuresPerAddress: 1, authFailureWindowMs: 600_000 });
    limiter.failed('192.0.2.1', 'fred'); // blocked, and hammering on: kept, as it is touched
    let most = 0;
    for (let i = 0; i < 100_000; i++) {
      clock.now = i;
      const address = `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`;
      limiter.failed(address, `user${i}`);
      limiter.succeeded(address, `user${i}`);
      if (i % 1000 === 0) limiter.refuses('192.0.2.1');
      const { addresses, users, known } = limiter.tracked;
      most = Math.max(most, addresses, users, known);
    }
    expect(most).toBeLessThanOrEqual(MAX_TRACKED);
    expect(most).toBeGreaterThan(MAX_TRACKED / 2); // it did fill up
    expect(limiter.failedLogins().size).toBeLessThanOrEqual(MAX_TRACKED);
    expect(limiter.refuses('192.0.2.1')).toBe(true);
    expect(limiter.refuses('10.0.0.5')).toBe(false); // pushed out long ago
    expect(limiter.refuses('10.1.134.159')).toBe(true); // the last one (99,999)
  });

  it('forgets expired entries when it makes room, telling of each burst of refusals then', () => {
    const { limiter, clock, notes } = newLimiter({ authFailuresPerAddress: 1 }, 100);
    for (let i = 0; i < 40; i++) limiter.failed(`10.0.1.${i}`, undefined);
    limiter.refuses('10.0.1.0');
    limiter.refuses('10.0.1.0');
    clock.now = 60_000;
    for (let i = 0; i < 10; i++) limiter.failed(`10.0.2.${i}`, undefined); // the 50th entry makes room
    expect(limiter.tracked.addresses).toBe(10);
    expect(notes.at(-1)).toBe('2 login(s) from 10.0.1.0 were refused unchecked while blocked');
  });
});
