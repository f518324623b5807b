#!/usr/bin/env node
// Builds the API documentation (`pnpm run docs`, into docs/api/): TypeDoc over every package that is not
// private, read from the manifests so that a new package is documented without touching this file.
// A package's entry points are the sources of its `exports` — `.` is src/index.ts, `./browser` is
// src/browser.ts — and each one's README.md is its page; typedoc.json holds the other options.
// Any warning fails the run: an export without a doc comment, a type that a public signature uses but
// the package does not export, a broken {@link}. Nothing is written then. TypeDoc checks documentation
// and exports package by package, so typedoc.json turns those on in packageOptions; its root checks
// the links of the merged site.
//
// Usage: node scripts/docs.mjs [--packages <dir>] [TypeDoc options, e.g. --emit none to only validate]
// --packages documents the packages under another folder than packages/ (the docs test's fixture).
// The declarations of the packages must be built (`pnpm build`): TypeDoc compiles each package
// against its dependencies' dist/*.d.ts, as a consumer does.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Application,
  ArgumentsReader,
  Converter,
  PackageJsonReader,
  ReflectionKind,
  TSConfigReader,
  TypeDocReader,
} from 'typedoc';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const args = process.argv.slice(2);
let packagesDir = join(root, 'packages');
const at = args.indexOf('--packages');
if (at >= 0) {
  packagesDir = resolve(args[at + 1] ?? '.');
  args.splice(at, 2);
}

const packages = publicPackages(packagesDir);
if (packages.length === 0) {
  console.error(`no public package under ${packagesDir}`);
  process.exit(1);
}
const byDir = new Map(packages.map((pkg) => [pkg.dir, pkg]));

// Sets each package's entry points from its exports. TypeDoc would infer them too, but from the
// built dist/ through declaration maps, and it names the modules after files rather than import paths.
const exportsReader = {
  name: 'rpc-package-exports',
  order: 250,
  supportsPackages: true,
  read(options, _logger, cwd) {
    const pkg = byDir.get(resolve(cwd));
    if (pkg && !options.isSet('entryPoints')) options.setValue('entryPoints', pkg.entryPoints, pkg.dir);
  },
};

const app = await Application.bootstrapWithPlugins(
  { options: join(root, 'typedoc.json'), entryPoints: packages.map((pkg) => pkg.dir) },
  [
    new ArgumentsReader(0, args),
    new TypeDocReader(),
    new PackageJsonReader(),
    new TSConfigReader(),
    exportsReader,
    new ArgumentsReader(300, args).ignoreErrors(),
  ],
);

// A package with several entry points gets one module per import path (`@rpc/client`,
// `@rpc/client/browser`) instead of TypeDoc's file names (`index`, `browser`).
app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
  const pkg = packages.find((p) => p.name === context.project.packageName);
  if (!pkg) return;
  for (const module of context.project.getChildrenByKind(ReflectionKind.Module)) {
    const entry = pkg.entries.find((e) => e.moduleName === module.name);
    if (entry) module.name = entry.importPath;
  }
});

process.exit(await run(app));

async function run(app) {
  if (app.logger.hasErrors()) return 1;
  const project = await app.convert();
  if (!project) return 3;
  linkPackageFolders(project);
  app.validate(project);
  const { errorCount, warningCount } = app.logger;
  if (errorCount + warningCount > 0) {
    console.error(`API docs: ${errorCount} errors and ${warningCount} warnings, nothing written`);
    return 4;
  }
  if (app.options.getValue('emit') !== 'none') {
    await app.generateOutputs(project);
    if (app.logger.hasErrors() || app.logger.hasWarnings()) return 5;
  }
  return 0;
}

/**
 * Points the READMEs' links to a package's folder (the root README's `packages/msg`) at that package's
 * page, as GitHub shows the folder's README there. Other relative links that lead to no file are
 * reported: TypeDoc's own check (`validation.invalidPath`) is off, as it rejects every folder.
 */
function linkPackageFolders(project) {
  const pages = new Map();
  for (const pkg of packages) {
    const page = project.children?.find((child) => child.name === pkg.name);
    if (page) pages.set(pkg.dir, page);
  }
  for (const [dir, reflection] of [[root, project], ...pages]) {
    for (const part of reflection.readme ?? []) {
      if (part.kind !== 'relative-link' || part.target !== undefined) continue;
      const [path, anchor] = part.text.split('#');
      const folder = resolve(dir, path);
      const page = pages.get(folder);
      if (page) {
        project.files.registerReflectionPath(folder, page);
        part.target = project.files.registerAbsolute(folder).target;
        part.targetAnchor = anchor;
      } else {
        app.logger.warn(
          `The README of ${reflection.name} links to ${part.text}, which is neither a file nor a package`,
        );
      }
    }
  }
}

/**
 * The packages under `dir` that are not private, each with the source file behind every subpath
 * of its exports (a package compiles src/ to dist/).
 */
function publicPackages(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const pkgDir = join(dir, name);
    const manifestPath = join(pkgDir, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (manifest.private) continue;
    const exportMap =
      typeof manifest.exports === 'object' && manifest.exports !== null ? manifest.exports : { '.': manifest.exports };
    const entries = [];
    for (const [subpath, target] of Object.entries(exportMap)) {
      const declared = typesOf(target);
      if (subpath === './package.json' || !declared) continue;
      const source = join(pkgDir, declared.replace(/^\.\/dist\//, 'src/').replace(/(\.d)?\.[cm]?[jt]s$/, '.ts'));
      if (!existsSync(source)) throw new Error(`${manifest.name}: no source ${source} for the export ${subpath}`);
      const moduleName = source.slice(join(pkgDir, 'src').length + 1).replace(/(\/?index)?\.ts$/, '');
      entries.push({ source, moduleName: moduleName || 'index', importPath: join(manifest.name, subpath) });
    }
    if (entries.length === 0) throw new Error(`${manifest.name}: no exports to document`);
    found.push({ dir: pkgDir, name: manifest.name, entries, entryPoints: entries.map((e) => e.source) });
  }
  return found;
}

/** The declaration file (or module) an export resolves to for TypeScript under Node, browser builds aside. */
function typesOf(target) {
  if (typeof target === 'string') return target;
  if (typeof target !== 'object' || target === null) return undefined;
  if (typeof target.types === 'string') return target.types;
  for (const condition of ['import', 'node', 'default', 'require']) {
    const found = typesOf(target[condition]);
    if (found) return found;
  }
  return undefined;
}
