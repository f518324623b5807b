import { callCommand } from './commands/call.js';
import { classesCommand } from './commands/classes.js';
import { logCommand } from './commands/log.js';
import { mprpcCommand } from './commands/mprpc.js';
import type { Context } from './context.js';
import { cliError, describeError, EXIT, exitCodeOf } from './errors.js';
import { MAIN_HELP } from './help.js';
import { type CliIo, LineReader } from './io.js';

type Command = (args: readonly string[], ctx: Context) => Promise<number>;

const COMMANDS: Readonly<Record<string, Command>> = {
  classes: classesCommand,
  call: callCommand,
  mprpc: (args, ctx) => mprpcCommand(args, ctx, false),
  notify: (args, ctx) => mprpcCommand(args, ctx, true),
  log: logCommand,
};

/**
 * Runs `rpc` with the command line `argv` (without the node and script paths: `process.argv.slice(2)`) and resolves
 * with its exit status (see {@link EXIT}): results and help are written to `io.stdout`, errors to `io.stderr` as
 * `error CODE: message`. It never rejects; it leaves nothing open when it resolves.
 *
 * ```ts
 * const status = await run(['call', '127.0.0.1:5555', 'Notebook.write', '"a line"'], process);
 * ```
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let reader: LineReader | undefined;
  const ctx: Context = { io, lines: () => (reader ??= new LineReader(io.stdin)) };
  const [name, ...args] = argv;
  // An interrupt also stops a wait for stdin's next line (a session typed at a terminal, say).
  const stopReading = (): void => reader?.close();
  io.signal?.addEventListener('abort', stopReading, { once: true });
  try {
    if (name === undefined) {
      io.stderr.write(MAIN_HELP);
      return EXIT.USAGE;
    }
    if (name === '--help' || name === '-h' || (name === 'help' && args.length === 0)) {
      io.stdout.write(MAIN_HELP);
      return EXIT.OK;
    }
    if (name === '--version' || name === '-V') {
      io.stdout.write(`rpc (@rpc/cli) ${io.version ?? 'unknown version'}\n`);
      return EXIT.OK;
    }
    if (name === 'help') return await commandOf(args[0] as string)(['--help'], ctx);
    const status = await commandOf(name)(args, ctx);
    return io.signal?.aborted ? EXIT.INTERRUPTED : status;
  } catch (error) {
    if (io.signal?.aborted) return EXIT.INTERRUPTED; // the connection closed under the call: no news
    const status = exitCodeOf(error);
    if (status === EXIT.INTERRUPTED) return status;
    io.stderr.write(`${describeError(error)}\n`);
    if (status === EXIT.USAGE && name !== undefined && Object.hasOwn(COMMANDS, name))
      io.stderr.write(`Run 'rpc ${name} --help' for its usage.\n`);
    return status;
  } finally {
    io.signal?.removeEventListener('abort', stopReading);
    reader?.close();
  }
}

function commandOf(name: string): Command {
  if (Object.hasOwn(COMMANDS, name)) return COMMANDS[name] as Command;
  const known = Object.keys(COMMANDS).join(', ');
  throw cliError('CLI_USAGE', `unknown command '${name}' (commands: ${known}; rpc --help lists them)`);
}
