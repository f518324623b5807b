import { execFileSync } from 'node:child_process';
import { Client, crypt, RemoteError, type ClientOptions } from '@rpc/client';
import { PasswdHash, ScramClient, type AuthModule } from '@rpc/auth';
import type { Logger } from '@rpc/core';
import { MemoryTransport, RxLoop, runInVirtualTime } from '@rpc/loop-rxjs';
import { Server, type ServerOptions } from '@rpc/server';
import { waitFor } from '@rpc/testkit';
import { VirtualTimeScheduler } from 'rxjs';
import { runPerlSecureClient, startPerlServer } from '../src/perl-peer.js';
import { perlContractClasses, type EventRpcTest } from '../src/test-classes.js';
import { rawSession } from './rpc-helpers.js';

const users = { fred: crypt('fred', 's3cret'), nick: crypt('nick', 'other') };

/** A logger that keeps every line, and shows each to `onLine`. */
function recorder(onLine: (line: string) => void = () => undefined): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    log: (_level, message) => {
      lines.push(message);
      onLine(message);
    },
  };
}

/** A listening server that requires a login, and what it logged; `await using` closes the server. */
async function authServer(
  options: Partial<ServerOptions> = {},
  logger = recorder(),
): Promise<{ server: Server; logger: Logger & { lines: string[] } } & AsyncDisposable> {
  const server = new Server({
    host: '127.0.0.1',
    port: 0,
    logger,
    classes: perlContractClasses(),
    authRequired: true,
    authPasswdHref: users,
    ...options,
  });
  await server.setupListeners();
  return { server, logger, [Symbol.asyncDispose]: () => server.close() };
}

/** A client logged in to the server at `port`; closed again if the login fails. */
async function login(port: number, options: Partial<ClientOptions>): Promise<Client> {
  const client = new Client({ host: '127.0.0.1', port, ...options });
  await client.connect();
  return client;
}

describe('logging in to our server', () => {
  it('logs our client in by SCRAM-SHA-256 and knows the user', async () => {
    await using s = await authServer();
    const { server, logger } = s;
    await using client = await login(server.port, { authUser: 'fred', authPass: crypt('fred', 's3cret') });
    const obj = await client.remoteClass<EventRpcTest, [string, string]>('Event_RPC_Test').new('data', 'fred was here');
    expect(await obj.get_data()).toBe('fred was here');
    expect([...server.connections][0]?.authUser).toBe('fred');
    expect(logger.lines).toContain("cid=1: User 'fred' successfully authorized (SCRAM-SHA-256)");
    expect(logger.lines.join('\n')).not.toContain('WARNING');
  });

  it('answers a wrong password and an unknown user with the same one error', async () => {
    await using s = await authServer();
    const { server } = s;
    const failures = await Promise.all(
      [
        { authUser: 'fred', authPass: crypt('fred', 'wrong') },
        { authUser: 'nobody', authPass: crypt('nobody', 's3cret') },
      ].map((o) => login(server.port, o).catch((e: unknown) => e)),
    );
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(RemoteError);
      expect(failure).toMatchObject({ code: 'AUTH_FAILED', message: 'Illegal credentials' });
    }
  });

  it('lets a connection do nothing before it logs in but negotiate, ask the version and log in', async () => {
    await using s = await authServer();
    const { server } = s;
    await using session = await rawSession(server.port);
    const { conn, ask } = session;
    expect(await ask({ cmd: 'version' })).toMatchObject({ ok: 1, version: '1.10' });
    for (const request of [
      { cmd: 'class_info_all' },
      { cmd: 'classes_list' },
      { cmd: 'new', method: 'Event_RPC_Test::new', params: [] },
      { cmd: 'exec', oid: 'x', method: 'get_data', params: [] },
    ]) {
      expect(await ask(request)).toEqual({ ok: 0, msg: 'Authorization required' });
    }
    const noLogin = await login(server.port, {}).catch((e: unknown) => e);
    expect(noLogin).toMatchObject({ name: 'RemoteError', message: 'Authorization required' });
    await waitFor(() => server.clientsConnected === 1, 'the refused client to hang up'); // only the raw session is left
    await conn.close();
  });

  it('refuses a recorded SCRAM exchange replayed on a new connection', async () => {
    await using s = await authServer();
    const { server } = s;
    // Record a real login's two messages, as someone on the wire would.
    await using first = await rawSession(server.port);
    const scram = new ScramClient('fred', crypt('fred', 's3cret'));
    const clientFirst = scram.first();
    const challenge = await first.ask({ cmd: 'auth_scram', msg: clientFirst });
    const clientFinal = await scram.final(String(challenge.msg));
    expect(await first.ask({ cmd: 'auth_scram', msg: clientFinal })).toMatchObject({
      ok: 1,
      msg: expect.stringMatching(/^v=/),
    });
    expect(await first.ask({ cmd: 'classes_list' })).toMatchObject({ ok: 1 });
    // Replayed on a new connection, the same messages log nobody in.
    await using replay = await rawSession(server.port);
    expect(await replay.ask({ cmd: 'auth_scram', msg: clientFirst })).toMatchObject({ ok: 1 });
    expect(await replay.ask({ cmd: 'auth_scram', msg: clientFinal })).toEqual({ ok: 0, msg: 'Illegal credentials' });
    expect(await replay.ask({ cmd: 'classes_list' })).toEqual({ ok: 0, msg: 'Authorization required' });
  });

  it('slows repeated failures on one connection and cuts it off, while other clients log in at once', async () => {
    // In virtual time, over the memory transport: the delays are exact, and the clock is held while the honest
    // client logs in, so that however slow the machine (its logins wait on real crypto), no delay runs out meanwhile.
    const scheduler = new VirtualTimeScheduler();
    let held = false;
    const loop = new RxLoop({ scheduler, transport: new MemoryTransport(scheduler) });
    let firstFailure: () => void = () => undefined;
    const failedOnce = new Promise<void>((resolve) => (firstFailure = resolve));
    const logger = recorder((line) => {
      if (!line.includes('failure 1 of 3')) return;
      held = true; // before the failure's delay is even scheduled
      firstFailure();
    });
    await runInVirtualTime(
      scheduler,
      async () => {
        // No login clock: the virtual clock jumps while a password check runs on real crypto.
        await using s = await authServer({ authMaxFailures: 3, loginTimeoutMs: 0, loop }, logger);
        const { server } = s;
        await using guesser = await rawSession(server.port, loop);
        const times: number[] = [];
        const guesses = (async () => {
          for (let i = 0; i < 3; i++) {
            const started = loop.now();
            expect(await guesser.ask({ cmd: 'auth', user: 'fred', pass: crypt('fred', `guess${i}`) })).toEqual({
              ok: 0,
              msg: 'Illegal credentials',
            });
            times.push(loop.now() - started);
          }
        })();
        // While the guesser waits, another client logs in and works.
        await failedOnce;
        // No keep-alive either: its pings would be what the clock jumps to while a check runs on real crypto.
        await using honest = await login(server.port, {
          authUser: 'nick',
          authPass: crypt('nick', 'other'),
          keepAliveMs: 0,
          loop,
        });
        expect(
          await (
            await honest.remoteClass<EventRpcTest, [string, string]>('Event_RPC_Test').new('data', 'unhindered')
          ).get_data(),
        ).toBe('unhindered');
        expect(times).toHaveLength(0);
        held = false;
        await guesses;
        expect(times[2]).toBeGreaterThanOrEqual(700); // the third failure waited 3 × 250 ms
        expect(times).toEqual([250, 500, 750]);
        await guesser.conn.done; // cut off after the third
        expect(guesser.conn.closed).toBe(true);
      },
      { realWaitMs: 10_000, hold: () => held },
    );
  });

  it('refuses an address that failed too often, over many connections, without checking, as Event::RPC refuses', async () => {
    // The built-in module, counting what the server asks of it: a lookup for each SCRAM login, a check for each token.
    const passwords = await PasswdHash.from(users);
    let asked = 0;
    const authModule: AuthModule = {
      checkCredentials(user, pass) {
        asked++;
        return passwords.checkCredentials(user, pass);
      },
      scramCredentials(user) {
        asked++;
        return passwords.scramCredentials(user);
      },
    };
    const lines: string[] = [];
    await using s = await authServer(
      { authPasswdHref: undefined, authModule, authFailuresPerAddress: 3 },
      recorder((line) => lines.push(line)),
    );
    const { server } = s;
    // Three clients guess once each, each on a connection of its own: no connection reaches authMaxFailures.
    const guesses = await Promise.all(
      [1, 2, 3].map((i) =>
        login(server.port, { authUser: 'fred', authPass: crypt('fred', `guess${i}`) }).catch((e: unknown) => e),
      ),
    );
    for (const guess of guesses) expect(guess).toMatchObject({ code: 'AUTH_FAILED', message: 'Illegal credentials' });
    expect(asked).toBe(3);
    // Now even the right password is refused from 127.0.0.1, unchecked, with the answer a wrong one gets.
    const refused = await login(server.port, { authUser: 'nick', authPass: crypt('nick', 'other') }).catch(
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ code: 'AUTH_FAILED', message: 'Illegal credentials' });
    expect(
      await runPerlSecureClient(server.port, ['--auth-user', 'fred', '--auth-pass', crypt('fred', 's3cret')]),
    ).toEqual({ error: 'Illegal credentials\n -- called via Event::RPC::Client' });
    expect(asked).toBe(3);
    expect(lines.filter((line) => line.includes('127.0.0.1 refused'))).toEqual([
      'Logins from 127.0.0.1 refused for 600 s: 3 failed logins',
    ]);
  });

  it('grants each user only what the access list gives them', async () => {
    await using s = await authServer({
      authAccess: {
        fred: { Event_RPC_Test: ['new', 'get_data'] },
        nick: { Event_RPC_Test: '*', Event_RPC_Test2: ['new'] },
      },
    });
    const { server } = s;
    await using fred = await login(server.port, { authUser: 'fred', authPass: crypt('fred', 's3cret') });
    const obj = await fred.remoteClass<EventRpcTest, [string, string]>('Event_RPC_Test').new('data', 'limited');
    expect(await obj.get_data()).toBe('limited');
    expect('set_data' in obj).toBe(false); // not even announced to fred
    await expect((obj as unknown as { set_data(v: string): Promise<unknown> }).set_data('x')).rejects.toMatchObject({
      code: 'RPC_UNKNOWN_METHOD',
    });
    await expect(fred.request({ cmd: 'exec', oid: obj.oid, method: 'set_data', params: ['x'] })).rejects.toMatchObject({
      name: 'RemoteError',
      message: 'Access denied to Event_RPC_Test->set_data',
    });
    await expect(fred.request({ cmd: 'new', method: 'Event_RPC_Test2::new', params: [] })).rejects.toMatchObject({
      message: 'Access denied to Event_RPC_Test2->new',
    });
    expect(() => fred.remoteClass('Event_RPC_Test2')).toThrow(expect.objectContaining({ code: 'RPC_UNKNOWN_CLASS' }));
    await using nick = await login(server.port, { authUser: 'nick', authPass: crypt('nick', 'other') });
    const mine = await nick.remoteClass<EventRpcTest, [string, string]>('Event_RPC_Test').new('data', 'all mine');
    expect(await mine.set_data('changed')).toBe('changed');
  });

  it('works with an auth module of your own (token check only: Event::RPC logins, no SCRAM)', async () => {
    const seen: string[] = [];
    const authModule = {
      checkCredentials: (user: string, pass: string) => {
        seen.push(user);
        return user === 'root' && pass === crypt('root', 'pw');
      },
    };
    await using s = await authServer({
      authPasswdHref: undefined,
      authModule,
      authAccess: { root: { Event_RPC_Test: ['new', 'hello'] } },
    });
    const { server, logger } = s;
    await using client = await login(server.port, { authUser: 'root', authPass: crypt('root', 'pw') });
    const obj = await client.remoteClass<EventRpcTest, [string, string]>('Event_RPC_Test').new('data', 'x');
    expect(await obj.hello()).toBe('Hello, x');
    await expect(client.request({ cmd: 'exec', oid: obj.oid, method: 'get_data', params: [] })).rejects.toMatchObject({
      message: 'Access denied to Event_RPC_Test->get_data',
    });
    expect(seen).toEqual(['root']);
    expect(
      logger.lines.some((l) =>
        l.startsWith("cid=1: WARNING: user 'root' logged in with Event::RPC's password token without TLS"),
      ),
    ).toBe(true);
  });

  it('refuses auth options that cannot work', async () => {
    await expect(authServer({ authPasswdHref: undefined })).rejects.toMatchObject({
      code: 'RPC_INVALID_OPTION',
      message: 'authRequired needs authPasswdHref or authModule',
    });
    await expect(authServer({ authRequired: false, authAccess: {} })).rejects.toMatchObject({
      code: 'RPC_INVALID_OPTION',
    });
    await expect(authServer({ authPasswdHref: { fred: 'plaintext' } })).rejects.toMatchObject({
      name: 'UsageError',
      code: 'AUTH_INVALID_OPTION',
    });
  });
});

describe('Event::RPC logins with the Perl peers', () => {
  it("our crypt() gives what Perl's crypt gives", () => {
    const perl = execFileSync(
      'perl',
      [
        '-e',
        'print join(",", map { crypt($_->[1], $_->[0]) } (["fred","s3cret"],["nick","Grüße"],["x y","a"],["ab","abcdefghXYZ"]))',
      ],
      { encoding: 'utf8' },
    );
    expect(
      [crypt('fred', 's3cret'), crypt('nick', 'Grüße'), crypt('x y', 'a'), crypt('ab', 'abcdefghXYZ')].join(','),
    ).toBe(perl);
  });

  it('logs the Perl client in with its token, refuses a wrong one, and warns without TLS', async () => {
    await using s = await authServer();
    const { server, logger } = s;
    expect(
      await runPerlSecureClient(server.port, ['--auth-user', 'fred', '--auth-pass', crypt('fred', 's3cret')]),
    ).toEqual({
      data: 'secure',
      format: 'Event::RPC::Message::CBOR',
    });
    expect(
      logger.lines.some((l) =>
        l.includes("WARNING: user 'fred' logged in with Event::RPC's password token without TLS"),
      ),
    ).toBe(true);
    expect(
      await runPerlSecureClient(server.port, ['--auth-user', 'fred', '--auth-pass', crypt('fred', 'wrong')]),
    ).toEqual({
      error: 'Illegal credentials\n -- called via Event::RPC::Client',
    });
    expect(await runPerlSecureClient(server.port, [])).toEqual({
      error: expect.stringContaining('Authorization required'),
    });
  });

  it('logs our client in to the Perl server with the token (no SCRAM there), and fails on a wrong one', async () => {
    await using perl = await startPerlServer(['--auth', `fred:${crypt('fred', 's3cret')}`]);
    await using client = await login(perl.port, { authUser: 'fred', authPass: crypt('fred', 's3cret') });
    expect(client.pipelined).toBe(false);
    expect(
      await (
        await client.remoteClass<EventRpcTest, [string, string]>('Event_RPC_Test').new('data', 'to perl')
      ).get_data(),
    ).toBe('to perl');
    await client.close();
    const refused = await login(perl.port, { authUser: 'fred', authPass: crypt('fred', 'wrong') }).catch(
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ name: 'RemoteError', code: 'AUTH_FAILED', message: 'Illegal credentials' });
  });
});
