import { parseArgs } from 'node:util';
import { authError } from '@rpc/auth';
import { type Channel, formatAddress, type TransportError } from '@rpc/loop';
import { nodeLoop } from '@rpc/loop-node';
import { parseAddress } from '../address.js';
import { COMMON_OPTIONS, expectPositionals, LOGIN_OPTIONS, parseCommandLine, TLS_OPTIONS, timeoutMs } from '../args.js';
import { type Context, connecting } from '../context.js';
import { cliError, EXIT, Interrupted } from '../errors.js';
import { Output } from '../output.js';
import { LOGIN_HELP, TLS_HELP, VERBOSE_HELP } from '../help.js';
import { loginOf } from '../password.js';
import { tlsOptionsOf } from '../tls.js';

const OPTIONS = { ...COMMON_OPTIONS, ...TLS_OPTIONS, ...LOGIN_OPTIONS } as const;

/** The most of one line held before it is printed, so that a server never ending its line cannot fill memory. */
const MAX_LINE = 1024 * 1024;

/** `rpc log --help`. */
export const LOG_HELP = `Usage: rpc log [OPTIONS] HOST:PORT

Prints the lines of an Event::RPC server's log listener as they come, until
the server closes the connection (exit 0) or you press Ctrl-C (exit 130).
HOST:PORT is the log listener's own address: the server's port + 1. With
--user, it first logs in with the listener's 'AUTH USER PASSWORD' line.

Options:
  --json                 each line as a JSON string
${LOGIN_HELP}${TLS_HELP}  -t, --timeout SECONDS  give up connecting after SECONDS
${VERBOSE_HELP}`;

/** `rpc log`: tails a log listener. */
export async function logCommand(args: readonly string[], ctx: Context): Promise<number> {
  const { values, positionals } = parseCommandLine(args, (argv) =>
    parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }),
  );
  if (values.help) {
    ctx.io.stdout.write(LOG_HELP);
    return EXIT.OK;
  }
  expectPositionals(positionals, 1, 1, 'HOST:PORT');
  const address = parseAddress(positionals[0] as string, { unix: false });
  const deadline = timeoutMs(values.timeout);
  const tls = await tlsOptionsOf(values);
  if (values.user !== undefined && !/^\S+$/.test(values.user))
    throw cliError('CLI_USAGE', 'a user name for the log listener has no spaces');
  const login = await loginOf(values, ctx);
  if (login !== undefined && /[\r\n]/.test(login.password))
    throw cliError('CLI_USAGE', 'a password for the log listener is one line');

  const { io } = ctx;
  const shown = formatAddress(address);
  const endpoint = { ...address, ...(tls === undefined ? {} : { tls }) };
  const opened = nodeLoop.connect(endpoint, deadline === undefined ? {} : { connectTimeoutMs: deadline });
  const drop = (): Promise<void> =>
    opened.then(
      (channel) => channel.destroy(),
      () => undefined,
    );
  const channel = await connecting(opened, drop, deadline, io, shown);
  if (values.verbose) io.stderr.write(`rpc: connected to the log listener at ${shown}${tls ? ' over TLS' : ''}\n`);
  if (login !== undefined) channel.write(new TextEncoder().encode(`AUTH ${login.user} ${login.password}\n`));
  const out = new Output(io.stdout, true);
  await tail(channel, login?.user, ctx, values.json ? (line) => out.value(line) : (line) => out.line(line));
  return EXIT.OK;
}

/**
 * Prints the channel's lines until it closes; after a login, the first line is the listener's answer (`OK`, or
 * `Illegal credentials` and the end: AUTH_FAILED). Resolves when the server closes, rejects when the connection
 * fails, and with Interrupted when the run's signal aborts.
 */
function tail(channel: Channel, user: string | undefined, ctx: Context, print: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let pending = '';
  let answered = user === undefined;
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      channel.destroy();
      reject(new Interrupted('interrupted'));
    };
    const signal = ctx.io.signal;
    const lines = (text: string, last: boolean): Error | undefined => {
      pending += text;
      const parts = pending.split('\n');
      pending = last ? '' : (parts.pop() as string);
      if (pending.length > MAX_LINE) {
        parts.push(pending); // a line without end, printed in parts rather than held
        pending = '';
      }
      for (const raw of last && parts.at(-1) === '' ? parts.slice(0, -1) : parts) {
        const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        if (!answered) {
          answered = true;
          if (line === 'OK') continue;
          if (line === 'Illegal credentials') return authError('AUTH_FAILED', `${line} (log listener, user ${user})`);
        }
        print(line);
      }
      return undefined;
    };
    channel.on('data', (chunk) => {
      const refused = lines(decoder.decode(chunk, { stream: true }), false);
      if (refused) {
        channel.destroy();
        reject(refused);
      }
    });
    channel.on('close', (error?: TransportError) => {
      signal?.removeEventListener('abort', onAbort);
      const refused = lines(decoder.decode(), true);
      if (refused) reject(refused);
      else if (error) reject(error);
      else if (!answered)
        reject(authError('AUTH_FAILED', `the log listener closed the connection without accepting user ${user}`));
      else resolve();
    });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
