import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(__dirname, '..', '..', '..');

/** The fenced code blocks of a Markdown file, with their language and the heading they stand under. */
export function codeBlocks(markdownFile: string): Array<{ lang: string; heading: string; code: string }> {
  const blocks: Array<{ lang: string; heading: string; code: string }> = [];
  let heading = '';
  let open: { lang: string; lines: string[] } | undefined;
  for (const line of readFileSync(markdownFile, 'utf8').split('\n')) {
    const fence = /^```(\w*)\s*$/.exec(line);
    if (open !== undefined) {
      if (fence !== null && fence[1] === '') {
        blocks.push({ lang: open.lang, heading, code: `${open.lines.join('\n')}\n` });
        open = undefined;
      } else open.lines.push(line);
    } else if (fence !== null) open = { lang: fence[1] ?? '', lines: [] };
    else if (line.startsWith('#')) heading = line.replace(/^#+\s*/, '');
  }
  return blocks;
}

/**
 * Runs `code` as a user would who pasted it into `name` (an .mts file) in a
 * project with the @rpc packages installed: type-checked under `strict`, then
 * run with tsx. Resolves with what it printed; rejects if either step fails.
 */
export async function runAsUser(name: string, code: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<{ stdout: string; stderr: string }> {
  // Inside packages/tests, so that @rpc/* and @types/node resolve as they would from a user's node_modules.
  const dir = mkdtempSync(join(__dirname, '..', '.user-'));
  const file = join(dir, name);
  writeFileSync(file, code);
  try {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const flags = ['--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--lib', 'es2022,esnext.disposable', '--types', 'node'];
    await run(process.execPath, [tsc, ...flags, file], { cwd: dir, timeout: timeoutMs }).catch((error: { stdout?: string }) => {
      throw new Error(`${name} does not compile under strict:\n${error.stdout ?? String(error)}`);
    });
    return await run(join(root, 'node_modules', '.bin', 'tsx'), [file], { cwd: dir, timeout: timeoutMs, env: { ...process.env, ...env } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
