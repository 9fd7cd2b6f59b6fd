/**
 * Loading `catalog/`: every `.ts`, `.js` or `.mjs` module whose default export is a pipeline
 * (files starting with `_` or `.` and `.d.ts` files are skipped, so helpers can live beside them).
 * TypeScript modules load when the process runs under tsx, as the `tidemark` binary does.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError, messageOf } from '../errors.ts';
import type { FileStore } from '../storage/file-store.ts';
import { type PipelineDefinition, validatePipeline } from '../pipeline/definition.ts';

const MODULE = /^[^._][^/]*\.(ts|js|mjs)$/;

/** The catalog's pipelines by name; an empty map when the directory does not exist. */
export async function loadCatalog(store: FileStore, dir: string): Promise<Map<string, PipelineDefinition>> {
  const pipelines = new Map<string, PipelineDefinition>();
  const origins = new Map<string, string>();
  const entries = (await store.list(dir)).filter((e) => !e.isDirectory && MODULE.test(e.name) && !e.name.endsWith('.d.ts'));
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const file = path.join(dir, entry.name);
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    } catch (error) {
      throw new InvalidArgumentError(`cannot load catalog module ${file}: ${messageOf(error)}`, { file, cause: error });
    }
    if (mod.default === undefined) continue;
    const def = validatePipeline(mod.default, file);
    const seen = origins.get(def.name);
    if (seen !== undefined) throw new InvalidArgumentError(`pipeline "${def.name}" is defined twice: ${seen} and ${file}`, { file, value: def.name });
    origins.set(def.name, file);
    pipelines.set(def.name, def);
  }
  return pipelines;
}
