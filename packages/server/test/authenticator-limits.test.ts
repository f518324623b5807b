import { deriveScramCredentials, ScramClient, type AuthModule, type ScramCredentials } from '@rpc/auth';
import { Authenticator, type AuthSettings } from '../src/authenticator.js';
import { virtualWorld, type VirtualWorld } from './virtual.js';

// The server-wide login limits on a virtual clock: windows of minutes pass in no real time, and a test auth module
// counts the checks the server runs, so that a refused login is seen to cost none.

const limits = {
  authRequired: true,
  authPasswdHref: undefined,
  authAccess: undefined,
  authMaxFailures: 3,
  authFailuresPerAddress: 5,
  authFailuresPerUser: 100,
  authFailureWindowMs: 600_000,
  authMaxConcurrentChecks: 2,
  authMaxQueuedChecks: 32,
};

/** A module whose password is `right` for all, counting its checks; each takes `checkMs` of the loop's time. */
function countingModule(world: VirtualWorld, checkMs = 0) {
  const seen = { checks: 0, running: 0, mostAtOnce: 0, lookups: 0 };
  const module: AuthModule = {
    async checkCredentials(_user, pass) {
      seen.checks++;
      seen.mostAtOnce = Math.max(seen.mostAtOnce, ++seen.running);
      if (checkMs > 0) await new Promise<void>((resolve) => world.loop.timer(checkMs, resolve));
      seen.running--;
      return pass === 'right';
    },
  };
  return { module, seen };
}

async function server(world: VirtualWorld, module: AuthModule, settings: Partial<AuthSettings> = {}) {
  const notes: string[] = [];
  const auth = (await Authenticator.create(
    { ...limits, authModule: module, ...settings },
    { loop: world.loop, log: (_level, message) => notes.push(message) },
  )) as Authenticator;
  let cid = 1;
  /** One login on a new connection from `address`: 'ok' or the refusal's message. */
  const login = async (address: string, pass: string, user = 'fred'): Promise<string> => {
    const answer = await auth.forConnection(cid++, true, () => undefined, address).answer({ cmd: 'auth', user, pass });
    return answer.ok === 1 ? 'ok' : String(answer.msg);
  };
  return { auth, notes, login };
}

const wait = (world: VirtualWorld, ms: number): Promise<void> =>
  new Promise((resolve) => world.loop.timer(ms, resolve));

describe('Authenticator: limits across connections', () => {
  it('refuses an address that failed too often on many connections without checking, until the window passes', async () => {
    const world = virtualWorld();
    const { module, seen } = countingModule(world);
    const { auth, notes, login } = await server(world, module);
    const outcome = await world.run(async () => {
      // Ten connections guess at once from one host (each from a port of its own).
      const guesses = await Promise.all(Array.from({ length: 10 }, (_, i) => login(`10.0.0.1:${4000 + i}`, 'guess')));
      const checksWhenBlocked = seen.checks;
      const rightPassword = await login('10.0.0.1:5000', 'right');
      const fromElsewhere = await login('10.0.0.2:5000', 'right');
      const failed = auth.failedLogins();
      await wait(world, 600_000);
      const afterWindow = await login('10.0.0.1:5001', 'right');
      return { guesses, checksWhenBlocked, rightPassword, fromElsewhere, failed, afterWindow, checks: seen.checks };
    });
    expect(outcome.guesses).toEqual(Array(10).fill('Illegal credentials'));
    // The limit, and the check already running beside the fifth (two run at once); the other four waited for a
    // slot and were refused unchecked once they had it.
    expect(outcome.checksWhenBlocked).toBe(6);
    expect(outcome.rightPassword).toBe('Illegal credentials'); // refused, not checked: even the right password
    expect(outcome.fromElsewhere).toBe('ok');
    expect(outcome.failed).toEqual(new Map([['10.0.0.1', 6]]));
    expect(outcome.afterWindow).toBe('ok');
    expect(outcome.checks).toBe(8);
    // One line when the block begins, one with the count of refusals once it is over; none per refused attempt.
    expect(notes.filter((n) => n.includes('10.0.0.1'))).toEqual([
      'Logins from 10.0.0.1 refused for 600 s: 5 failed logins',
      '5 login(s) from 10.0.0.1 were refused unchecked while blocked',
    ]);
    expect(notes.filter((n) => n.includes('Illegal credentials for user'))).toHaveLength(6);
  });

  it('refuses a user under attack from new addresses, never from an address it logged in from before', async () => {
    const world = virtualWorld();
    const { module, seen } = countingModule(world);
    const { notes, login } = await server(world, module, { authFailuresPerUser: 4 });
    const outcome = await world.run(async () => {
      const before = await login('192.0.2.7:1111', 'right'); // fred's usual place
      // An attacker with many addresses, one guess each: no address reaches its limit.
      for (let i = 0; i < 6; i++) await login(`198.51.100.${i}:2222`, 'guess');
      const checks = seen.checks;
      return {
        before,
        checks,
        fromNewAddress: await login('203.0.113.9:3333', 'right'),
        otherUser: await login('203.0.113.9:3333', 'right', 'nick'),
        fromKnownAddress: await login('192.0.2.7:4444', 'right'), // another port, same host
        checksAfter: seen.checks,
      };
    });
    expect(outcome).toEqual({
      before: 'ok',
      checks: 5, // 1 login and 4 guesses checked; the last 2 guesses were refused unchecked
      fromNewAddress: 'Illegal credentials',
      otherUser: 'ok',
      fromKnownAddress: 'ok',
      checksAfter: 7,
    });
    expect(notes).toContain("Logins as 'fred' from new addresses refused for 600 s: 4 failed logins");
  });

  it('counts IPv6 clients by their /64 network', async () => {
    const world = virtualWorld();
    const { module, seen } = countingModule(world);
    const { auth, login } = await server(world, module, { authFailuresPerAddress: 2 });
    const answers = await world.run(async () => [
      await login('[2001:db8:1:2::1]:1000', 'guess'),
      await login('[2001:db8:1:2:ffff::9]:1000', 'guess'),
      await login('2001:db8:1:2:abcd::1', 'right'),
      await login('[2001:db8:1:3::1]:1000', 'right'),
    ]);
    expect(answers).toEqual(['Illegal credentials', 'Illegal credentials', 'Illegal credentials', 'ok']);
    expect(seen.checks).toBe(3);
    expect(auth.failedLogins()).toEqual(new Map([['2001:db8:1:2::/64', 2]]));
  });

  it('refuses a SCRAM login from a blocked address at its first step, without looking the user up', async () => {
    const world = virtualWorld();
    const { module, seen } = countingModule(world);
    const credentials: ScramCredentials = await deriveScramCredentials('right', 4096);
    const scramModule: AuthModule = {
      ...module,
      scramCredentials: () => {
        seen.lookups++;
        return credentials;
      },
    };
    const { auth, login } = await server(world, scramModule, { authFailuresPerAddress: 1 });
    const answer = await world.run(async () => {
      await login('10.9.9.9', 'guess');
      const client = new ScramClient('fred', 'right');
      return auth
        .forConnection(99, true, () => undefined, '10.9.9.9')
        .answer({ cmd: 'auth_scram', msg: client.first() });
    });
    expect(answer).toEqual({ ok: 0, msg: 'Illegal credentials' });
    expect(seen.lookups).toBe(0);
  });

  it('counts a wrong SCRAM proof, and refuses the locked user by SCRAM from a new address at the first step', async () => {
    const world = virtualWorld();
    const { module, seen } = countingModule(world);
    const credentials = await deriveScramCredentials('right', 4096);
    const scramModule: AuthModule = {
      ...module,
      scramCredentials: () => {
        seen.lookups++;
        return credentials;
      },
    };
    const { auth } = await server(world, scramModule, { authFailuresPerUser: 1 });
    const scramLogin = async (address: string, password: string): Promise<string> => {
      const connection = auth.forConnection(1, true, () => undefined, address);
      const client = new ScramClient('fred', password);
      const challenge = await connection.answer({ cmd: 'auth_scram', msg: client.first() });
      if (challenge.ok !== 1) return `first step: ${String(challenge.msg)}`;
      const final = await connection.answer({ cmd: 'auth_scram', msg: await client.final(String(challenge.msg)) });
      return final.ok === 1 ? 'ok' : String(final.msg);
    };
    const answers = await world.run(async () => [
      await scramLogin('10.3.0.1', 'right'),
      await scramLogin('10.3.0.2', 'wrong'),
      await scramLogin('10.3.0.3', 'right'),
      await scramLogin('10.3.0.1', 'right'),
    ]);
    expect(answers).toEqual(['ok', 'Illegal credentials', 'first step: Illegal credentials', 'ok']);
    expect(auth.failedLogins()).toEqual(new Map([['10.3.0.2', 1]]));
  });

  it('runs at most authMaxConcurrentChecks checks at once, queues a few, and refuses the rest at once', async () => {
    const world = virtualWorld();
    const { module, seen } = countingModule(world, 100);
    const { notes, login } = await server(world, module, {
      authFailuresPerAddress: Infinity,
      authMaxConcurrentChecks: 2,
      authMaxQueuedChecks: 4,
    });
    const answered: string[] = [];
    await world.run(() =>
      Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const answer = await login(`10.1.0.${i}`, 'right');
          answered.push(`${answer} at ${world.loop.now()}`);
        }),
      ),
    );
    expect(seen.mostAtOnce).toBe(2);
    expect(seen.checks).toBe(6);
    // The four refused get the failure's answer after its delay; the six checked log in two by two.
    expect(answered).toEqual([
      'ok at 100',
      'ok at 100',
      'ok at 200',
      'ok at 200',
      ...Array(4).fill('Illegal credentials at 250'),
      'ok at 300',
      'ok at 300',
    ]);
    expect(notes.filter((n) => n.startsWith('Login checks'))).toEqual([
      'Login checks busy (2 running, 4 waiting): refusing logins',
    ]);
  });

  it('does not check a login whose client left while it waited for a slot', async () => {
    const world = virtualWorld();
    const { module, seen } = countingModule(world, 100);
    const { auth } = await server(world, module, { authMaxConcurrentChecks: 1 });
    const answers = await world.run(async () => {
      const first = auth.forConnection(1, true, () => undefined, '10.2.0.1');
      const second = auth.forConnection(2, true, () => undefined, '10.2.0.2');
      const answers = [first, second].map((c) => c.answer({ cmd: 'auth', user: 'fred', pass: 'right' }));
      await wait(world, 50);
      second.close();
      return Promise.all(answers);
    });
    expect(answers.map((a) => a.ok)).toEqual([1, 0]);
    expect(seen.checks).toBe(1);
  });

  it('refuses limits that cannot work', async () => {
    const world = virtualWorld();
    const { module } = countingModule(world);
    for (const wrong of [
      { authFailuresPerAddress: 0 },
      { authFailuresPerUser: 2.5 },
      { authMaxConcurrentChecks: Number.NaN },
      { authMaxQueuedChecks: -1 },
      { authFailureWindowMs: Infinity },
    ]) {
      await expect(server(world, module, wrong)).rejects.toMatchObject({
        code: 'RPC_INVALID_OPTION',
        message: expect.stringContaining(Object.keys(wrong)[0] as string),
      });
    }
  });
});
