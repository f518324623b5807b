import { crypt, ScramClient } from '@rpc/auth';
import type { Answer } from '@rpc/core';
import { Authenticator, type ConnectionAuth } from '../src/authenticator.js';
import { virtualWorld } from './virtual.js';

// The authenticator on a virtual clock: the delays that slow password guessing are exact, and take no real time.
const settings = {
  authRequired: true,
  authPasswdHref: { fred: crypt('fred', 'secret') },
  authModule: undefined,
  authAccess: undefined,
  authMaxFailures: 3,
  authFailuresPerAddress: 20,
  authFailuresPerUser: 10,
  authFailureWindowMs: 600_000,
  authMaxConcurrentChecks: 2,
  authMaxQueuedChecks: 32,
};

async function login(world = virtualWorld()) {
  const notes: string[] = [];
  const auth = await Authenticator.create(settings, {
    loop: world.loop,
    log: (_level, message) => notes.push(message),
  });
  let cut = false;
  const connection = (auth as Authenticator).forConnection(1, false, () => (cut = true));
  return { world, notes, connection, cutOff: () => cut };
}

const answerAt = async (
  world: ReturnType<typeof virtualWorld>,
  connection: ConnectionAuth,
  pass: string,
): Promise<string> => {
  const answer: Answer = await connection.answer({ cmd: 'auth', user: 'fred', pass });
  return `${answer.ok === 1 ? 'ok' : String(answer.msg)} at ${world.loop.now()}`;
};

describe('Authenticator', () => {
  it('answers each failure 250 ms × its number later, one at a time, and cuts the connection off after the last', async () => {
    const { world, connection, cutOff, notes } = await login();
    const seen = await world.run(async () => {
      const answers = await Promise.all([
        answerAt(world, connection, 'guess1'),
        answerAt(world, connection, 'guess2'),
        answerAt(world, connection, 'guess3'),
      ]);
      await new Promise<void>((resolve) => world.loop.timer(0, resolve)); // the cut-off is a task after the last answer
      return { answers, cut: cutOff() };
    });
    expect(seen.answers).toEqual([
      'Illegal credentials at 250',
      'Illegal credentials at 750',
      'Illegal credentials at 1500',
    ]);
    expect(seen.cut).toBe(true);
    expect(notes.filter((n) => n.includes('Illegal credentials for user'))).toHaveLength(3);
  });

  it('logs in with the Event::RPC token at once, warns without TLS, and answers a second login as already done', async () => {
    const { world, connection, notes } = await login();
    const answers = await world.run(async () => [
      await answerAt(world, connection, crypt('fred', 'secret')),
      await answerAt(world, connection, 'anything'),
    ]);
    expect(answers).toEqual(['ok at 0', 'ok at 0']);
    expect(connection.user).toBe('fred');
    expect(notes.some((n) => n.includes('without TLS'))).toBe(true);
  });

  it('logs in by SCRAM-SHA-256, and refuses a wrong proof with the same answer as a wrong password', async () => {
    const { world, connection } = await login();
    const outcome = await world.run(async () => {
      const right = new ScramClient('fred', crypt('fred', 'secret'));
      const challenge = await connection.answer({ cmd: 'auth_scram', msg: right.first() });
      const final = await connection.answer({ cmd: 'auth_scram', msg: await right.final(String(challenge.msg)) });
      right.verify(String(final.msg));
      return connection.user;
    });
    expect(outcome).toBe('fred');

    const other = await login();
    const refused = await other.world.run(async () => {
      const wrong = new ScramClient('fred', crypt('fred', 'wrong'));
      const challenge = await other.connection.answer({ cmd: 'auth_scram', msg: wrong.first() });
      return other.connection.answer({ cmd: 'auth_scram', msg: await wrong.final(String(challenge.msg)) });
    });
    expect(refused).toEqual({ ok: 0, msg: 'Illegal credentials' });
  });

  it('answers a failure waiting out its delay at once when the connection closes', async () => {
    const { world, connection, notes } = await login();
    const answer = await world.run(async () => {
      const waiting = connection.answer({ cmd: 'auth', user: 'fred', pass: 'wrong' });
      // The password check is real work off the scheduler; once it has failed, the 250 ms delay begins.
      while (notes.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      const failedAt = world.loop.now();
      await new Promise<void>((resolve) => world.loop.timer(100, resolve));
      connection.close();
      return `${String((await waiting).msg)} ${world.loop.now() - failedAt} ms after the failure`;
    });
    expect(answer).toBe('Illegal credentials 100 ms after the failure');
  });

  it('needs a password list or a module, and access rules only with authRequired', async () => {
    const loop = virtualWorld().loop;
    const log = (): void => undefined;
    await expect(Authenticator.create({ ...settings, authPasswdHref: undefined }, { loop, log })).rejects.toMatchObject(
      { code: 'RPC_INVALID_OPTION' },
    );
    await expect(
      Authenticator.create({ ...settings, authRequired: false, authAccess: {} }, { loop, log }),
    ).rejects.toMatchObject({ code: 'RPC_INVALID_OPTION' });
    expect(await Authenticator.create({ ...settings, authRequired: false }, { loop, log })).toBeUndefined();
  });
});
