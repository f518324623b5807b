#!/usr/bin/env node
// Builds every package (or the ones named on the command line):
//  1. `tsc -b` type-checks and emits ESM + declarations to dist/ in dependency order;
//  2. each source file is transpiled again to CommonJS in dist/cjs/, with the
//     declarations copied beside it and a package.json that marks the folder as CommonJS;
//  3. a package whose exports name `./browser` gets dist/browser.js bundled where that export's
//     `default` points, by esbuild for browsers (which fails if anything in it needs a Node built-in);
//  4. compiled files whose source is gone are deleted (tsc's build mode leaves them);
//  5. every public package gets a copy of the repository's LICENSE, which npm packs from the package's folder.
// Declarations carry no module format of their own, so one set serves both.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import ts from 'typescript';
import { orphans, packageDirs, root, sources } from './package-files.mjs';

const args = process.argv.slice(2);
const targets = args.length > 0 ? args.map((dir) => resolve(dir)) : [root];

try {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', ...targets], {
    stdio: 'inherit',
  });
} catch {
  process.exit(1); // tsc has printed the errors
}

for (const dir of args.length > 0 ? targets : packageDirs()) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const orphan of orphans(dir, manifest)) rmSync(join(dir, orphan));
  if (manifest.exports?.['.']?.require) buildCommonJs(dir);
  const bundle = manifest.exports?.['./browser']?.default;
  if (typeof bundle === 'string') await bundleForBrowsers(dir, bundle);
  if (!manifest.private) copyFileSync(join(root, 'LICENSE'), join(dir, 'LICENSE'));
}

async function bundleForBrowsers(dir, outfile) {
  await build({
    // The compiled module, so that the package's browser field applies to its own files too.
    entryPoints: [join(dir, 'dist', 'browser.js')],
    outfile: join(dir, outfile),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    logLevel: 'error',
  });
}

function buildCommonJs(dir) {
  const src = join(dir, 'src');
  const out = join(dir, 'dist', 'cjs');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'package.json'), '{ "type": "commonjs" }\n');
  for (const file of sources(src)) {
    const rel = relative(src, file).replace(/\.ts$/, '');
    // Transpiled as a .cts file under NodeNext: CommonJS output that keeps `import()` a real dynamic
    // import (plain CommonJS mode would turn it into require(), which cannot load ES modules).
    const { outputText, sourceMapText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file.replace(/\.ts$/, '.cts'),
      compilerOptions: {
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        sourceMap: true,
      },
    });
    const target = join(out, `${rel}.js`);
    mkdirSync(dirname(target), { recursive: true });
    // Named for the .cts file it was transpiled as; it is written as .js.
    writeFileSync(target, outputText.replace(/\.cjs\.map$/, '.js.map'));
    // The map points at the packed source (npm packs src/), as the ES module build's maps do.
    const map = JSON.parse(sourceMapText);
    writeFileSync(
      `${target}.map`,
      JSON.stringify({ ...map, file: basename(target), sources: [relative(dirname(target), file)] }),
    );
    // The declarations' maps stay in dist/: the copies point there rather than at a map beside them.
    const declaration = join(dir, 'dist', `${rel}.d.ts`);
    if (existsSync(declaration)) {
      const fromCjs = relative(dirname(target), join(dir, 'dist', `${rel}.d.ts.map`));
      writeFileSync(
        join(out, `${rel}.d.ts`),
        readFileSync(declaration, 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, `//# sourceMappingURL=${fromCjs}`),
      );
    }
  }
}
