import { parseArgs } from 'node:util';
import { methodKind, rpcError } from '@rpc/core';
import { parseAddress } from '../address.js';
import { COMMON_OPTIONS, expectPositionals, LOGIN_OPTIONS, parseCommandLine, TLS_OPTIONS } from '../args.js';
import { closeOnAbort, type Context } from '../context.js';
import { EXIT } from '../errors.js';
import { connectEventRpc } from '../event-rpc.js';
import { Output } from '../output.js';
import { FORMAT_HELP, LOGIN_HELP, TLS_HELP, VERBOSE_HELP } from '../help.js';

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...TLS_OPTIONS,
  ...LOGIN_OPTIONS,
  format: { type: 'string', short: 'f' },
} as const;

/** `rpc classes --help`. */
export const CLASSES_HELP = `Usage: rpc classes [OPTIONS] HOST:PORT [CLASS...]

Lists the classes an Event::RPC server exports (an @rpc/server or Perl's
Event::RPC::Server) and their methods, one CLASS.METHOD a line, with its kind:
constructor, method (returns values) or object returner (returns objects).
Name classes to list only those.

Options:
  --json                 one line of JSON: {"CLASS": {"METHOD": KIND}} as the
                         server sends it (_constructor, 1, _object)
${FORMAT_HELP}${TLS_HELP}${LOGIN_HELP}  -t, --timeout SECONDS  give up connecting after SECONDS
${VERBOSE_HELP}`;

/** Method kinds as the listing names them. */
const KINDS: Readonly<Record<string, string>> = {
  _constructor: 'constructor',
  _singleton: 'singleton',
  _object: 'object returner',
  '1': 'method',
};

/** `rpc classes`: the classes and methods the server exports. */
export async function classesCommand(args: readonly string[], ctx: Context): Promise<number> {
  const { values, positionals } = parseCommandLine(args, (argv) =>
    parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }),
  );
  if (values.help) {
    ctx.io.stdout.write(CLASSES_HELP);
    return EXIT.OK;
  }
  expectPositionals(positionals, 1, Number.POSITIVE_INFINITY, 'HOST:PORT [CLASS...]');
  const [where, ...wanted] = positionals as [string, ...string[]];
  const address = parseAddress(where, { unix: false });
  const client = await connectEventRpc(values, address, ctx);
  const stop = closeOnAbort(ctx.io, () => client.close());
  try {
    const answer = await client.request({ cmd: 'class_info_all' });
    const all = (answer.class_info_all ?? {}) as Record<string, Record<string, unknown>>;
    for (const name of wanted)
      if (!Object.hasOwn(all, name)) throw rpcError('RPC_UNKNOWN_CLASS', `the server exports no class '${name}'`);
    const names = (wanted.length > 0 ? wanted : Object.keys(all)).sort();
    const out = new Output(ctx.io.stdout, values.json === true);
    if (values.json) {
      out.value(Object.fromEntries(names.map((name) => [name, sorted(all[name] ?? {})])));
      return EXIT.OK;
    }
    const rows = names.flatMap((name) =>
      Object.entries(sorted(all[name] ?? {})).map(([method, kind]) => [
        `${name}.${method}`,
        KINDS[String(kind)] ?? String(kind),
      ]),
    );
    const width = Math.max(0, ...rows.map(([target]) => (target as string).length));
    for (const [target, kind] of rows) out.line(`${(target as string).padEnd(width)}  ${kind}`);
    return EXIT.OK;
  } finally {
    stop();
    await client.close();
  }
}

/**
 * A method map with its methods in order and their kinds as Event::RPC names them (Perl sends `1` or `"1"` as a
 * scalar's history has it: always `1` here).
 */
function sorted(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(record)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([method, kind]) => [method, methodKind(kind) ?? kind]),
  );
}
