import { parseArgs } from 'node:util';
import { type CallOptions, type Client, type RemoteObject, withCallOptions } from '@rpc/client';
import { rpcError } from '@rpc/core';
import { parseAddress } from '../address.js';
import { COMMON_OPTIONS, expectPositionals, LOGIN_OPTIONS, parseCommandLine, TLS_OPTIONS } from '../args.js';
import { closeOnAbort, type Context } from '../context.js';
import { cliError, EXIT } from '../errors.js';
import { connectEventRpc } from '../event-rpc.js';
import { type CallLine, parseCallLine, parseJsonArgs } from '../json-args.js';
import { Output } from '../output.js';
import { FORMAT_HELP, LOGIN_HELP, TLS_HELP, VERBOSE_HELP } from '../help.js';

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...TLS_OPTIONS,
  ...LOGIN_OPTIONS,
  format: { type: 'string', short: 'f' },
  object: { type: 'boolean', short: 'o' },
  call: { type: 'string', short: 'c', multiple: true },
  new: { type: 'string', short: 'n' },
  list: { type: 'boolean', short: 'l' },
} as const;

/** `rpc call --help`. */
export const CALL_HELP = `Usage: rpc call [OPTIONS] HOST:PORT CLASS.METHOD [ARG...]
       rpc call [OPTIONS] --object HOST:PORT CLASS [--call 'METHOD [ARG...]'...]

Calls a method of a class an Event::RPC server exports (an @rpc/server or
Perl's Event::RPC::Server) and prints its result as JSON on stdout.

Each ARG is one JSON value: 42, true, null, '"text"', '[1,2]', '{"a":1}'
(quote for the shell: a string needs its double quotes). Negative numbers
are arguments, not options; so is everything after --.

CLASS.METHOD is called on an object made for it, by the class's constructor
'new' (or its only constructor) with no arguments, or as --new says. When
METHOD is itself a constructor, it is called, and the object it made printed.

With --object (or any --call), one object is made and several calls go to
it in one session: the --call options in order, or else the lines of stdin,
each 'METHOD [ARG...]' (empty lines and lines starting with # are skipped).
Each result is printed as it comes; the first call that fails ends the
session. Objects a call returns print as {"$class": CLASS, "$oid": ID}.

Options:
  -n, --new 'CTOR [ARG...]'  make the object with constructor CTOR and ARGs
                         (--new singleton: a singleton's instance)
  -o, --object           several calls on one object, from --call or stdin
  -c, --call 'METHOD [ARG...]'  a call of the session (repeatable)
  -l, --list             print every value a method returned, as an array
                         (Perl's list context); by default none is null, one
                         is itself, several are an array
  --json                 one line of JSON per result (default: indented)
${FORMAT_HELP}${TLS_HELP}${LOGIN_HELP}  -t, --timeout SECONDS  give up connecting, and each call, after SECONDS
${VERBOSE_HELP}`;

/** `rpc call`: one call, or a session of calls on one object. */
export async function callCommand(args: readonly string[], ctx: Context): Promise<number> {
  const { values, positionals } = parseCommandLine(args, (argv) =>
    parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }),
  );
  if (values.help) {
    ctx.io.stdout.write(CALL_HELP);
    return EXIT.OK;
  }
  const session = values.object === true || values.call !== undefined;
  expectPositionals(
    positionals,
    2,
    session ? 2 : Number.POSITIVE_INFINITY,
    session ? 'HOST:PORT CLASS (the calls come from --call or stdin)' : 'HOST:PORT CLASS.METHOD [ARG...]',
  );
  const [where, target, ...rest] = positionals as [string, string, ...string[]];
  const address = parseAddress(where, { unix: false });
  const dot = target.lastIndexOf('.');
  if (session && dot >= 0)
    throw cliError(
      'CLI_USAGE',
      `with --object, name the class only (not '${target}'): the calls come from --call or stdin`,
    );
  if (!session && (dot <= 0 || dot === target.length - 1))
    throw cliError('CLI_USAGE', `'${target}' names no method: write CLASS.METHOD`);
  const className = session ? target : target.slice(0, dot);
  // Everything the command line says is checked before connecting.
  const first: CallLine | undefined = session
    ? undefined
    : { method: target.slice(dot + 1), args: parseJsonArgs(rest) };
  const make = values.new === undefined ? undefined : parseCallLine(values.new, '--new');
  if (values.new !== undefined && make === undefined) throw cliError('CLI_USAGE', '--new names no constructor');
  const calls = values.call?.map((line, i) => parseCallLine(line, `--call ${i + 1}`));
  const out = new Output(ctx.io.stdout, values.json === true);

  const client = await connectEventRpc(values, address, ctx);
  const stop = closeOnAbort(ctx.io, () => client.close());
  try {
    const constructors = client.remoteClass<unknown>(className) as Record<
      string,
      (...args: unknown[]) => Promise<RemoteObject<unknown>>
    >;
    if (first !== undefined && Object.hasOwn(constructors, first.method)) {
      if (make !== undefined)
        throw cliError('CLI_USAGE', `${className}.${first.method} is a constructor: --new has nothing to do`);
      out.value(await (constructors[first.method] as (...args: unknown[]) => Promise<unknown>)(...first.args));
      return EXIT.OK;
    }
    const ctor = make ?? { method: defaultConstructor(className, Object.keys(constructors)), args: [] };
    const construct = Object.hasOwn(constructors, ctor.method) ? constructors[ctor.method] : undefined;
    if (construct === undefined)
      throw rpcError('RPC_UNKNOWN_METHOD', `${className} exports no constructor '${ctor.method}'`);
    const object = await construct(...ctor.args);
    const listContext: CallOptions = { list: true };
    const callee = values.list ? withCallOptions(object, listContext) : object;
    if (first !== undefined) {
      out.value(await invoke(callee, className, first));
      return EXIT.OK;
    }
    if (calls !== undefined) {
      for (const call of calls) if (call !== undefined) out.value(await invoke(callee, className, call));
      return EXIT.OK;
    }
    await callLinesFromStdin(client, callee, className, ctx, out);
    return EXIT.OK;
  } finally {
    stop();
    await client.close();
  }
}

/** The constructor used when --new is not given: `new`, or the class's only constructor. */
function defaultConstructor(className: string, constructors: readonly string[]): string {
  if (constructors.includes('new')) return 'new';
  if (constructors.length === 1) return constructors[0] as string;
  if (constructors.length === 0)
    throw cliError('CLI_USAGE', `${className} exports no constructor: its objects come from other objects' methods`);
  throw cliError(
    'CLI_USAGE',
    `${className} has several constructors (${constructors.join(', ')}): choose one with --new 'CTOR [ARG...]'`,
  );
}

/** Calls `call.method` on `object` (RPC_UNKNOWN_METHOD when the class does not export it). */
function invoke(object: RemoteObject<unknown>, className: string, call: CallLine): Promise<unknown> {
  const method: unknown = call.method in object ? Reflect.get(object, call.method) : undefined;
  if (typeof method !== 'function')
    return Promise.reject(rpcError('RPC_UNKNOWN_METHOD', `${className} exports no method '${call.method}'`));
  return (method as (...args: unknown[]) => Promise<unknown>)(...call.args);
}

/** The session's calls from stdin, one a line, each printed as it is answered; prompted on a terminal. */
async function callLinesFromStdin(
  client: Client,
  object: RemoteObject<unknown>,
  className: string,
  ctx: Context,
  out: Output,
): Promise<void> {
  const lines = ctx.lines();
  const prompt = ctx.io.stdin?.isTTY === true ? `${className}> ` : undefined;
  for (;;) {
    if (prompt !== undefined) ctx.io.stderr.write(prompt);
    const text = await lines.next();
    if (text === undefined) break;
    const call = parseCallLine(text, `line ${lines.lineNumber}`); // of stdin: the password may have been line 1
    if (call === undefined) continue;
    if (!client.connected) throw rpcError('RPC_DISCONNECTED', 'the server closed the connection');
    out.value(await invoke(object, className, call));
  }
  if (prompt !== undefined) ctx.io.stderr.write('\n');
}
