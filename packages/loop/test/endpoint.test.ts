import { checkEndpoint, formatAddress, isUnixEndpoint, makeTimer, UsageError } from '@rpc/loop';

describe('endpoints', () => {
  it('formats TCP, IPv6 and Unix addresses for messages', () => {
    expect(formatAddress({ host: '127.0.0.1', port: 80 })).toBe('127.0.0.1:80');
    expect(formatAddress({ host: '::1', port: 80 })).toBe('[::1]:80');
    expect(formatAddress({ port: 80 })).toBe('*:80');
    expect(formatAddress({ path: '/run/app.sock' })).toBe('unix:/run/app.sock');
  });

  it('tells Unix endpoints from TCP ones', () => {
    expect(isUnixEndpoint({ path: '/tmp/s' })).toBe(true);
    expect(isUnixEndpoint({ host: 'h', port: 1 })).toBe(false);
  });

  it.each([
    [{ port: -1 }, 'port must be an integer from 0 to 65535, got -1'],
    [{ port: 65536 }, 'port must be an integer from 0 to 65535, got 65536'],
    [{ port: 1.5 }, 'port must be an integer from 0 to 65535, got 1.5'],
    [{ path: '' }, 'Unix socket path is empty'],
    [null, 'endpoint must be { host?, port } or { path }'],
  ])('refuses %p as a UsageError', (endpoint, message) => {
    expect(() => checkEndpoint(endpoint as never)).toThrow(new UsageError('LOOP_INVALID_ENDPOINT', message));
    try {
      checkEndpoint(endpoint as never);
    } catch (e) {
      expect(e).toMatchObject({ name: 'UsageError', code: 'LOOP_INVALID_ENDPOINT' });
    }
  });
});

describe('makeTimer', () => {
  it('cancels once and reports its state', () => {
    let cancels = 0;
    const timer = makeTimer(() => cancels++);
    expect(timer.active).toBe(true);
    timer.cancel();
    timer[Symbol.dispose]();
    expect(timer.active).toBe(false);
    expect(cancels).toBe(1);
  });

  it('turns inactive when a one-shot timer fires, and cancelling then does nothing', () => {
    let cancels = 0;
    const timer = makeTimer(() => cancels++);
    timer.fired();
    timer.cancel();
    expect(timer.active).toBe(false);
    expect(cancels).toBe(0);
  });
});
