import { parseArgs } from 'node:util';
import { formatAddress, isUnixEndpoint } from '@rpc/loop';
import { MprpcClient, type MprpcClientOptions } from '@rpc/mprpc';
import { parseAddress } from '../address.js';
import { COMMON_OPTIONS, expectPositionals, parseCommandLine, TLS_OPTIONS, timeoutMs } from '../args.js';
import { closeOnAbort, type Context, connecting } from '../context.js';
import { EXIT } from '../errors.js';
import { parseJsonArgs } from '../json-args.js';
import { Output } from '../output.js';
import { TLS_HELP, VERBOSE_HELP } from '../help.js';
import { tlsOptionsOf } from '../tls.js';

const OPTIONS = { ...COMMON_OPTIONS, ...TLS_OPTIONS } as const;

const ADDRESSES = `ADDRESS is HOST:PORT, or a Unix socket: unix:PATH, or any path with a /
(neovim's 'nvim --listen' address, $NVIM in its terminal).`;

const SHARED_OPTIONS = `${TLS_HELP}${VERBOSE_HELP}`;

/** `rpc mprpc --help`. */
export const MPRPC_HELP = `Usage: rpc mprpc [OPTIONS] ADDRESS METHOD [ARG...]

Calls METHOD of a MessagePack-RPC server (AnyEvent::MPRPC, @rpc/mprpc, neovim)
with the ARGs, each one JSON value, and prints the result as JSON on stdout.
${ADDRESSES}

Bytes print as {"$bytes": BASE64}, extensions (neovim's buffer, window and
tabpage handles) as {"$ext": TYPE, "data": BASE64}; both are taken back as
arguments in the same form.

Options:
  --json                 the result on one line (default: indented)
  -t, --timeout SECONDS  give up connecting, and the call, after SECONDS
${SHARED_OPTIONS}`;

/** `rpc notify --help`. */
export const NOTIFY_HELP = `Usage: rpc notify [OPTIONS] ADDRESS METHOD [ARG...]

Sends METHOD with the ARGs, each one JSON value, as a MessagePack-RPC
notification: no answer comes back, nothing is printed, and the exit status
says only that it was sent.
${ADDRESSES}

Options:
  -t, --timeout SECONDS  give up connecting after SECONDS
${SHARED_OPTIONS}`;

/** `rpc mprpc` (a call, its result printed) and `rpc notify` (a notification). */
export async function mprpcCommand(args: readonly string[], ctx: Context, notify: boolean): Promise<number> {
  const { values, positionals } = parseCommandLine(args, (argv) =>
    parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }),
  );
  if (values.help) {
    ctx.io.stdout.write(notify ? NOTIFY_HELP : MPRPC_HELP);
    return EXIT.OK;
  }
  expectPositionals(positionals, 2, Number.POSITIVE_INFINITY, 'ADDRESS METHOD [ARG...]');
  const [where, method, ...rest] = positionals as [string, string, ...string[]];
  const address = parseAddress(where, { unix: true });
  const params = parseJsonArgs(rest);
  const deadline = timeoutMs(values.timeout);
  const tls = await tlsOptionsOf(values);
  const options: MprpcClientOptions = {
    ...(isUnixEndpoint(address) ? { host: 'unix/', port: address.path } : { host: address.host, port: address.port }),
    ...(tls === undefined ? {} : { tls }),
    ...(deadline === undefined ? {} : { connectTimeoutMs: deadline, deadlineMs: deadline }),
  };
  const client = new MprpcClient(options);
  const shown = formatAddress(address);
  await connecting(client.connect(), () => client.close(), deadline, ctx.io, shown);
  if (values.verbose) ctx.io.stderr.write(`rpc: connected to ${shown}${tls ? ' over TLS' : ''}\n`);
  const stop = closeOnAbort(ctx.io, () => client.close());
  try {
    if (notify) client.notify(method, ...params);
    else new Output(ctx.io.stdout, values.json === true).value(await client.call(method, ...params));
    return EXIT.OK;
  } finally {
    stop();
    await client.close(); // after writing what is queued: the notification
  }
}
