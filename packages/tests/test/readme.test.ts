import { join } from 'node:path';
import { codeBlocks, fileNameOf, readmes, root, runAsUser, typeCheck, type CodeBlock } from '../src/readme-blocks.js';

// The READMEs' code is a promise: every TypeScript block compiles under strict, pasted into a file of its own as
// printed, against the built packages; a block fenced ```ts run is a program, and runs to completion.
const blocks: CodeBlock[] = readmes().flatMap((file) => codeBlocks(file).filter((block) => block.lang === 'ts'));
let problems: Map<string, string[]>;

beforeAll(async () => {
  problems = await typeCheck(new Map(blocks.map((block) => [fileNameOf(block), block.code])));
}, 180_000);

it('finds the blocks (the quick start among them)', () => {
  expect(blocks.length).toBeGreaterThan(15);
  expect(
    blocks.filter((block) => block.readme === 'README.md' && block.heading === 'Quick start' && block.run),
  ).toHaveLength(1);
});

it.each(blocks.map((block) => [`${block.readme} block ${block.index} (${block.heading})`, block] as const))(
  '%s compiles under strict',
  (_name, block) => {
    expect(problems.get(fileNameOf(block))).toEqual([]);
  },
);

it.each(
  blocks
    .filter((block) => block.run)
    .map((block) => [`${block.readme} block ${block.index} (${block.heading})`, block] as const),
)(
  '%s runs to completion',
  async (_name, block) => {
    await runAsUser(fileNameOf(block), block.code, { env: { NODE_DEBUG: '' } });
  },
  60_000,
);

const quickStart = (): string =>
  blocks.find((block) => block.readme === 'README.md' && block.heading === 'Quick start')?.code ?? 'no quick start';

it("the README's quick start, pasted into one file, prints what it says and nothing else", async () => {
  const { stdout, stderr } = await runAsUser('quick-start.mts', quickStart(), { env: { NODE_DEBUG: '' } });
  expect(stdout).toBe('Notebook has 2 lines\n');
  expect(stderr).toBe(''); // no logger: no output, as Event::RPC and Node libraries behave
});

it('NODE_DEBUG=rpc shows the log of a server and client given no logger', async () => {
  const { stdout, stderr } = await runAsUser('quick-start.mts', quickStart(), { env: { NODE_DEBUG: 'rpc' } });
  expect(stdout).toBe('Notebook has 2 lines\n');
  expect(stderr).toMatch(
    /^RPC \d+: \[1\] Event::RPC server: listening on 127\.0\.0\.1:\d+, formats CBOR,SERL,JSON,MSGP$/m,
  );
  expect(stderr).toMatch(/^RPC \d+: \[2\] cid=1: new connection from 127\.0\.0\.1:\d+$/m);
  expect(stderr).toMatch(/^RPC \d+: \[4\] cid=1: RPC command: new$/m);
});

it("@rpc/msg's event loop program echoes what is typed and ends when no handle is left", async () => {
  const program =
    codeBlocks(join(root, 'packages', 'msg', 'README.md')).find((block) => block.code.includes('eventLoop()'))?.code ??
    'no program';
  const { stdout, stderr } = await runAsUser('keyboard.mts', program, { input: 'hello\n' });
  expect(stdout).toBe('echo: hello\n');
  expect(stderr).toMatch(/^\d+ events\n$/);
});
