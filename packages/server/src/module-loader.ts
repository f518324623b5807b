import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type ClassImpl, type ExportedClass, type ModuleRef, rpcError } from '@rpc/core';

export interface ModuleLoaderOptions {
  /** Import a module again on the next call once its file has changed on disk (development only). */
  readonly autoReload: boolean;
  log(level: number, message: string): void;
  /** The class has new code: move its live objects over. */
  reloaded(exported: ExportedClass, previous: ClassImpl): void;
}

interface Loaded {
  readonly path: string;
  readonly mtimeMs: number;
}

function pathOf(source: ModuleRef): string {
  const module = source.module;
  return module instanceof URL || module.startsWith('file:') ? fileURLToPath(module) : resolve(module);
}

function mtimeOf(path: string): number {
  return statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? -1;
}

/**
 * Event::RPC's load_modules and auto_reload_modules for classes given as
 * `{ module, export }`: imported when a client first uses them and, with
 * auto-reload, imported again when their file changes, as Event::RPC
 * compares a module's mtime on every call. Only the class's own file is
 * watched, not what it imports.
 */
export class ModuleLoader {
  readonly #options: ModuleLoaderOptions;
  readonly #loaded = new Map<ExportedClass, Loaded>();
  readonly #loading = new Map<ExportedClass, Promise<void>>();
  /** Classes whose module was imported before, successfully or not: they need a fresh module instance. */
  readonly #tried = new Set<ExportedClass>();
  #generation = 0;

  constructor(options: ModuleLoaderOptions) {
    this.#options = options;
  }

  /**
   * Throws when the module of a class given as `{ module }` is not there: a server reports it when it starts, not at
   * the first call.
   */
  static check(exported: ExportedClass): void {
    if (exported.source === undefined) return;
    const path = pathOf(exported.source);
    if (mtimeOf(path) < 0)
      throw rpcError('RPC_INVALID_OPTION', `classes['${exported.name}']: module ${path} does not exist`);
  }

  /** The dispatcher's hook: undefined when the class is ready, else a promise that (re)loads it. */
  prepare(exported: ExportedClass): Promise<void> | undefined {
    if (exported.source === undefined) return undefined;
    const loaded = this.#loaded.get(exported);
    if (loaded !== undefined && !(this.#options.autoReload && mtimeOf(loaded.path) !== loaded.mtimeMs))
      return undefined;
    return this.load(exported);
  }

  /** Imports the class's module (again); concurrent callers share one import. */
  load(exported: ExportedClass): Promise<void> {
    let loading = this.#loading.get(exported);
    if (loading === undefined) {
      loading = this.#import(exported).finally(() => this.#loading.delete(exported));
      this.#loading.set(exported, loading);
    }
    return loading;
  }

  async #import(exported: ExportedClass): Promise<void> {
    const source = exported.source as ModuleRef;
    const path = pathOf(source);
    const mtimeMs = mtimeOf(path);
    const url = pathToFileURL(path).href;
    try {
      let namespace: Record<string, unknown>;
      if (!this.#tried.has(exported)) {
        this.#tried.add(exported);
        namespace = (await import(url)) as Record<string, unknown>;
      } else {
        this.#options.log(3, `Class '${exported.name}' (${path}) changed on disk. Reloading...`);
        // A new URL makes a new module instance; a CommonJS module must also leave require's cache.
        delete createRequire(path).cache[path];
        namespace = (await import(`${url}?reload=${++this.#generation}`)) as Record<string, unknown>;
      }
      const before = exported.loaded ? exported.impl : undefined;
      exported.load(namespace[source.export ?? 'default']);
      this.#loaded.set(exported, { path, mtimeMs });
      this.#options.log(3, `Class '${exported.name}' successfully loaded`);
      if (before !== undefined && before !== exported.impl) this.#options.reloaded(exported, before);
    } catch (error) {
      const message = `Can't load class ${exported.name}: ${error instanceof Error ? error.message : String(error)}`;
      this.#options.log(1, message);
      throw new Error(message, { cause: error });
    }
  }
}
