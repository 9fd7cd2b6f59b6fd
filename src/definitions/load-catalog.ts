/**
 * Loading a catalog directory: every module whose default export is a pipeline. Files starting with
 * `_` or `.` and declaration files are skipped, so helpers can live beside the pipelines.
 *
 * - `.js`, `.mjs`, `.cjs` load with plain `import()`;
 * - `.ts`, `.mts` load as ES modules through `catalog-hooks.ts` (esbuild strips the types), registered
 *   only when a catalog has such a file, so a catalog of JavaScript never starts a TypeScript loader.
 *
 * A catalog can live in any folder: `import { definePipeline } from 'tidemark'` resolves to the package
 * installed beside it, or, when none is (a global install, `npx`), to the Tidemark that is running.
 */
import { register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError, messageOf } from '../errors.ts';
import type { FileStore } from '../storage/file-store.ts';
import { type PipelineDefinition, validatePipeline } from '../pipeline/definition.ts';

const MODULE = /^[^._][^/]*\.(ts|mts|js|mjs|cjs)$/;
const DECLARATION = /\.d\.(ts|mts)$/;
const TYPESCRIPT = /\.(ts|mts)$/;

/** A catalog module that could not be loaded or is not a valid pipeline. */
export interface CatalogProblem {
  readonly file: string;
  readonly error: InvalidArgumentError;
}

/** What a catalog directory holds. */
export interface LoadedCatalog {
  /** Whether the directory exists. */
  readonly exists: boolean;
  readonly pipelines: Map<string, PipelineDefinition>;
  /** Modules that failed (only collected with `onError: 'collect'`; otherwise the first one throws). */
  readonly problems: ReadonlyArray<CatalogProblem>;
}

/** How to treat a module that fails: throw (commands that run pipelines), or collect and go on. */
export interface LoadCatalogOptions {
  readonly onError?: 'throw' | 'collect';
}

/** The catalog's pipelines by name; an empty catalog when the directory does not exist. */
export async function loadCatalog(store: FileStore, dir: string, options: LoadCatalogOptions = {}): Promise<LoadedCatalog> {
  const pipelines = new Map<string, PipelineDefinition>();
  const problems: CatalogProblem[] = [];
  if (!(await store.exists(dir))) return { exists: false, pipelines, problems };
  const origins = new Map<string, string>();
  const entries = (await store.list(dir)).filter((e) => !e.isDirectory && MODULE.test(e.name) && !DECLARATION.test(e.name));
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const file = path.join(dir, entry.name);
    try {
      const def = await loadModule(file);
      if (def === undefined) continue;
      const seen = origins.get(def.name);
      if (seen !== undefined) throw new InvalidArgumentError(`pipeline "${def.name}" is defined twice: ${seen} and ${file}`, { file, value: def.name });
      origins.set(def.name, file);
      pipelines.set(def.name, def);
    } catch (error) {
      const problem = error instanceof InvalidArgumentError ? error : new InvalidArgumentError(messageOf(error), { file, cause: error });
      if (options.onError !== 'collect') throw problem;
      problems.push({ file, error: problem });
    }
  }
  return { exists: true, pipelines, problems };
}

/** One module's pipeline (undefined when it has no default export). */
async function loadModule(file: string): Promise<PipelineDefinition | undefined> {
  let mod: { default?: unknown };
  try {
    mod = (await importModule(file)) as { default?: unknown };
  } catch (error) {
    throw new InvalidArgumentError(`cannot load catalog module ${locate(error, file)}: ${messageOf(error).trim()}`, { file, cause: error });
  }
  // A CommonJS module's `export default` arrives as `default.default`.
  let value = mod.default;
  if (value !== null && typeof value === 'object' && 'default' in value && !('name' in value)) value = (value as { default: unknown }).default;
  if (value === undefined) return undefined;
  return validatePipeline(value, file);
}

async function importModule(file: string): Promise<unknown> {
  if (TYPESCRIPT.test(file)) enableTypeScript();
  return import(pathToFileURL(file).href);
}

let hooksRegistered = false;

/**
 * Compiled (the package), Tidemark registers its catalog hooks (`catalog-hooks.ts`: TypeScript through
 * esbuild, TypeScript's import conventions, and `tidemark` resolving to itself). Run from its
 * TypeScript sources (tests, tsx), the host already loads TypeScript and nothing is registered.
 */
function enableTypeScript(): void {
  if (hooksRegistered || import.meta.url.endsWith('.ts')) return;
  hooksRegistered = true;
  process.setSourceMapsEnabled(true); // stack traces of a failing pipeline module point into its .ts source
  register(new URL('./catalog-hooks.js', import.meta.url), { data: { entry: new URL('../index.js', import.meta.url).href } });
}

/**
 * `file:line:column` of the error's origin in `file`, from its message or stack (esbuild and Node's
 * stack frames say `file:line:column`; a JavaScript syntax error says `file:line`, with a caret line
 * under the code that gives the column); just `file` when neither says.
 */
export function locate(error: unknown, file: string): string {
  const text = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
  for (const prefix of [file, pathToFileURL(file).href]) {
    const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const m = new RegExp(`${escaped}:(\\d+)(?::(\\d+))?`).exec(text);
    if (m === null) continue;
    if (m[2] !== undefined) return `${file}:${m[1]}:${m[2]}`;
    const caret = text.slice(m.index).split('\n')[2]?.indexOf('^') ?? -1;
    return `${file}:${m[1]}:${caret >= 0 ? caret + 1 : 1}`;
  }
  return file;
}
