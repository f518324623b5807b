import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { root, runAsUser } from '../src/readme-blocks.js';

// Every program in examples/ is a promise too: pasted into a project that installed the packages, it compiles under
// strict and prints exactly what its `// Output:` comment says (`<port>` standing for any port), with nothing on
// stderr. A program that prints `open http://...` is a page's server: the test opens that page in Chromium.
const dir = join(root, 'examples');
const examples = readdirSync(dir).filter((name) => name.endsWith('.ts'));

/** The comment lines after `// Output:` at the end of a program, as a pattern of the lines it prints. */
function expectedOutput(code: string): RegExp {
  const marker = '// Output:\n';
  const at = code.lastIndexOf(marker);
  if (at < 0) throw new Error('the example has no // Output: comment');
  const lines = code
    .slice(at + marker.length)
    .split('\n')
    .filter((line) => line.startsWith('//'))
    .map((line) => line.replace(/^\/\/ ?/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .map((line) => line.replace('<port>', '\\d+'));
  return new RegExp(`^${lines.map((line) => `${line}\n`).join('')}$`);
}

/** Opens `url` in Chromium (Debian's, driven by playwright-core) until the page's server has finished with it. */
async function openInChromium(url: string, finished: Promise<unknown>): Promise<string[]> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(url);
    await finished.catch(() => undefined);
    return problems;
  } finally {
    await browser.close();
  }
}

it('finds the examples', () => {
  expect(examples.length).toBeGreaterThanOrEqual(3);
});

it.each(examples)(
  'examples/%s compiles under strict and prints what it says',
  async (name) => {
    const code = readFileSync(join(dir, name), 'utf8');
    // Files of the same name and another kind come with the program (perl-client.pl with perl-client.ts).
    const base = name.replace(/\.ts$/, '');
    const files = Object.fromEntries(
      readdirSync(dir)
        .filter((file) => file.startsWith(`${base}.`) && file !== name)
        .map((file) => [file, readFileSync(join(dir, file), 'utf8')]),
    );
    let opened: Promise<string[]> | undefined;
    let finish: (value: unknown) => void = () => undefined;
    const onStdout = (printed: string): void => {
      const url = /^open (http:\/\/\S+)$/m.exec(printed)?.[1];
      if (url !== undefined && opened === undefined) opened = openInChromium(url, new Promise((r) => (finish = r)));
    };
    const run = runAsUser(`${base}.mts`, code, { env: { NODE_DEBUG: '' }, files, onStdout });
    const { stdout, stderr } = await run.finally(() => finish(undefined));
    expect(await opened).toEqual(opened === undefined ? undefined : []); // no errors in the page
    expect(stdout).toMatch(expectedOutput(code));
    expect(stderr).toBe('');
  },
  90_000,
);
