import { join } from 'node:path';
import { codeBlocks, runAsUser } from '../src/readme-blocks.js';

// The README's code is a promise: pasted into a file as printed, it compiles under strict and runs to completion.
const readme = join(__dirname, '..', '..', '..', 'README.md');

const quickStart = (): string => codeBlocks(readme).find((block) => block.heading === 'Quick start' && block.lang === 'ts')?.code ?? 'no quick start';

it("the README's quick start, pasted into one file, compiles under strict and runs to completion, silently", async () => {
  const { stdout, stderr } = await runAsUser('quick-start.mts', quickStart(), { env: { NODE_DEBUG: '' } });
  expect(stdout).toBe('Notebook has 2 lines\n');
  expect(stderr).toBe(''); // no logger: no output, as Event::RPC and Node libraries behave
});

it('NODE_DEBUG=rpc shows the log of a server and client given no logger', async () => {
  const { stdout, stderr } = await runAsUser('quick-start.mts', quickStart(), { env: { NODE_DEBUG: 'rpc' } });
  expect(stdout).toBe('Notebook has 2 lines\n');
  expect(stderr).toMatch(/^RPC \d+: \[1\] Event::RPC server: listening on 127\.0\.0\.1:\d+, formats CBOR,SERL,JSON,MSGP$/m);
  expect(stderr).toMatch(/^RPC \d+: \[2\] cid=1: new connection from 127\.0\.0\.1:\d+$/m);
  expect(stderr).toMatch(/^RPC \d+: \[4\] cid=1: RPC command: new$/m);
});

it("@rpc/server's README program compiles under strict and runs to completion", async () => {
  const program = codeBlocks(join(__dirname, '..', '..', 'server', 'README.md')).find((block) => block.lang === 'ts')?.code ?? 'no program';
  const { stdout } = await runAsUser('server.mts', program);
  expect(stdout).toMatch(/^listening on port \d+\n$/);
});

it("@rpc/msg's event loop program echoes what is typed and ends when no handle is left", async () => {
  const program = codeBlocks(join(__dirname, '..', '..', 'msg', 'README.md')).find((block) => block.lang === 'ts' && block.code.includes('eventLoop()'))?.code ?? 'no program';
  const { stdout, stderr } = await runAsUser('keyboard.mts', program, { input: 'hello\n' });
  expect(stdout).toBe('echo: hello\n');
  expect(stderr).toMatch(/^\d+ events\n$/);
});

