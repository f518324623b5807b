import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';

// @rpc/mprpc and @rpc/async bundle for browsers: no Node built-in anywhere in what they import
// (the default loop comes from @rpc/msg, whose browser field swaps in the browser's). Bundles the built dist.
const root = join(__dirname, '..', '..', '..');
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Bundles `entry` as a browser app would; resolves with the Node built-ins it needed and the files it took in. */
async function bundleForBrowsers(entry: string): Promise<{ builtins: string[]; inputs: string[] }> {
  const found: string[] = [];
  const noBuiltins: Plugin = {
    name: 'no-node-builtins',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (!builtins.has(args.path) && !args.path.startsWith('node:')) return undefined;
        found.push(`${args.path} (from ${args.importer.slice(root.length + 1)})`);
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({
    stdin: { contents: `export * from '${entry}';`, resolveDir: join(root, 'packages', 'tests'), loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [noBuiltins],
  });
  return { builtins: found, inputs: Object.keys(result.metafile.inputs) };
}

describe('browser bundles', () => {
  it.each(['@rpc/mprpc', '@rpc/async'])('%s bundles for browsers without any Node built-in', async (entry) => {
    const { builtins: needed, inputs } = await bundleForBrowsers(entry);
    expect(needed).toEqual([]);
    expect(inputs.filter((file) => file.includes('loop-node'))).toEqual([]);
    expect(inputs.some((file) => file.includes('default-loop.browser'))).toBe(true);
  });

  it('would see a Node built-in (@rpc/loop-node needs node:net)', async () => {
    const { builtins: needed } = await bundleForBrowsers('@rpc/loop-node');
    expect(needed).toEqual(expect.arrayContaining([expect.stringMatching(/^node:net /)]));
  });
});
