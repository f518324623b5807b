import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, runAsUser } from '../src/readme-blocks.js';

// Every program in examples/ is a promise too: pasted into a project that installed the packages, it compiles under
// strict and prints exactly what its `// Output:` comment says, with nothing on stderr.
const dir = join(root, 'examples');
const examples = readdirSync(dir).filter((name) => name.endsWith('.ts'));

/** The comment lines after `// Output:` at the end of a program, as the lines it prints. */
function expectedOutput(code: string): string {
  const marker = '// Output:\n';
  const at = code.lastIndexOf(marker);
  if (at < 0) throw new Error('the example has no // Output: comment');
  const lines = code.slice(at + marker.length).split('\n');
  return lines
    .filter((line) => line.startsWith('//'))
    .map((line) => `${line.replace(/^\/\/ ?/, '')}\n`)
    .join('');
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
    const { stdout, stderr } = await runAsUser(`${base}.mts`, code, { env: { NODE_DEBUG: '' }, files });
    expect(stdout).toBe(expectedOutput(code));
    expect(stderr).toBe('');
  },
  90_000,
);
