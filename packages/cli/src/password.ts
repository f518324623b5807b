import { cliError, Interrupted } from './errors.js';
import type { Context } from './context.js';
import type { CliIo, LineReader, TextSource } from './io.js';

/** The login flags of the commands that log in (`classes`, `call`, `log`). */
export interface LoginFlags {
  readonly user?: string;
  readonly password?: string;
}

/** The user and password to log in with, or undefined without `--user`; `--password` alone is a usage error. */
export async function loginOf(
  flags: LoginFlags,
  ctx: Context,
): Promise<{ readonly user: string; readonly password: string } | undefined> {
  if (flags.password !== undefined && flags.user === undefined) throw cliError('CLI_USAGE', '--password needs --user');
  if (flags.user === undefined) return undefined;
  return { user: flags.user, password: await passwordFor(flags.user, flags.password, ctx.io, ctx.lines) };
}

/**
 * The password of `user`: `--password`, else the environment's `RPC_PASSWORD`, else asked for on a terminal without
 * echo, else the first line of stdin (CLI_NO_PASSWORD when there is none).
 */
export async function passwordFor(
  user: string,
  given: string | undefined,
  io: CliIo,
  lines: () => LineReader,
): Promise<string> {
  if (given !== undefined) return given;
  const fromEnv = io.env?.RPC_PASSWORD;
  if (fromEnv !== undefined) return fromEnv;
  const stdin = io.stdin;
  if (stdin?.isTTY === true && typeof stdin.setRawMode === 'function')
    return readHidden(stdin, io, `Password for ${user}: `);
  const line = await lines().next();
  if (line === undefined) throw cliError('CLI_NO_PASSWORD', `a password for ${user} is needed and stdin is empty`);
  return line;
}

/** Reads one line from a terminal in raw mode, echoing nothing; Ctrl-C interrupts, Ctrl-D on an empty line too. */
function readHidden(stdin: TextSource, io: CliIo, prompt: string): Promise<string> {
  io.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (error?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const c of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (c === '\r' || c === '\n') return finish();
        if (c === '\u0003') return finish(new Interrupted('interrupted at the password prompt'));
        if (c === '\u0004') {
          if (typed === '') return finish(cliError('CLI_NO_PASSWORD', 'no password given'));
          return finish();
        }
        if (c === '\u007f' || c === '\b') typed = Array.from(typed).slice(0, -1).join('');
        else typed += c;
      }
    };
    stdin.setRawMode?.(true);
    stdin.on('data', onData);
    stdin.resume();
  });
}
