import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

// The README's first command runs these; they must keep working (they need `pnpm build`).
const dist = join(__dirname, '..', 'dist');
const run = (file: string) => promisify(execFile)(process.execPath, [join(dist, file)], { timeout: 30_000 });

beforeAll(() => {
  if (!existsSync(join(dist, 'main.js'))) throw new Error('packages/demo is not built: run `pnpm build` first');
});

describe('the quick-start demos', () => {
  it('main: a notebook server and client doing the work the README describes, exiting 0', async () => {
    const { stdout } = await run('main.js');
    expect(stdout).toContain('client: connected, format MSGP, many calls in flight');
    expect(stdout).toContain('client: wrote 3 lines, 19 words');
    expect(stdout).toContain("client: calling 'constructor' remotely: Illegal access to Notebook->constructor");
    expect(stdout.trimEnd().endsWith('demo finished')).toBe(true);
  });

  it('msg: framed messages both ways, exiting 0', async () => {
    const { stdout } = await run('msg.js');
    expect(stdout).toContain('server says: 24 words so far (last line: "one last line sent now")');
    expect(stdout.trimEnd().endsWith('demo finished')).toBe(true);
  });
});
