import { crypt } from '@rpc/auth';
import { Client, type ClientOptions } from '@rpc/client';
import type { FormatName } from '@rpc/core';
import { formatAddress, type TcpEndpoint } from '@rpc/loop';
import { timeoutMs } from './args.js';
import { type Context, connecting } from './context.js';
import { cliError } from './errors.js';
import { loginOf } from './password.js';
import { type TlsFlags, tlsOptionsOf } from './tls.js';

/** The options of the Event::RPC commands (`classes`, `call`) as parseArgs gives them. */
export interface EventRpcFlags extends TlsFlags {
  readonly user?: string;
  readonly password?: string;
  readonly format?: string;
  readonly timeout?: string;
  readonly verbose?: boolean;
}

const FORMATS: readonly FormatName[] = ['MSGP', 'CBOR', 'SERL', 'JSON'];

/** `--format` as the client's messageFormats: Event::RPC names, any case, comma-separated, in order of preference. */
export function formatsOf(text: string | undefined): FormatName[] | undefined {
  if (text === undefined) return undefined;
  const names = text.split(',').map((name) => name.trim().toUpperCase());
  for (const name of names)
    if (!(FORMATS as readonly string[]).includes(name))
      throw cliError('CLI_USAGE', `unknown --format '${name}': choose from ${FORMATS.join(', ')}`);
  return names as FormatName[];
}

/**
 * Connects an @rpc/client to the Event::RPC server at `address` (ours or Perl's) as the flags say: TLS, login (the
 * password as {@link loginOf} finds it), message formats, `--timeout` for connecting and for each call.
 */
export async function connectEventRpc(flags: EventRpcFlags, address: TcpEndpoint, ctx: Context): Promise<Client> {
  const formats = formatsOf(flags.format);
  const deadline = timeoutMs(flags.timeout);
  const tls = await tlsOptionsOf(flags);
  const login = await loginOf(flags, ctx);
  const user = login?.user;
  const { io } = ctx;
  const options: ClientOptions = {
    host: address.host,
    port: address.port,
    ...(tls === undefined ? {} : { ssl: true, sslOpts: tls }),
    ...(formats === undefined ? {} : { messageFormats: formats }),
    ...(deadline === undefined ? {} : { connectTimeoutMs: deadline, deadlineMs: deadline }),
    ...(login === undefined ? {} : { authUser: login.user, authPass: crypt(login.user, login.password) }),
    // The client's warnings (level 1: TLS verification turned off, say), never its chatter.
    logger: { minLevel: 1, log: (level, message) => level <= 1 && io.stderr.write(`rpc: ${message}\n`) },
  };
  const client = new Client(options);
  const where = formatAddress(address);
  await connecting(client.connect(), () => client.close(), deadline, io, where);
  if (flags.verbose)
    io.stderr.write(
      `rpc: connected to ${where}${tls ? ' over TLS' : ''}: Event::RPC ${client.serverVersion ?? '?'}, ` +
        `format ${client.format ?? '?'}, ${client.pipelined ? 'calls pipelined' : 'one call at a time'}` +
        `${user === undefined ? '' : `, logged in as ${user}`}\n`,
    );
  return client;
}
