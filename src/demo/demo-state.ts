/**
 * What the demo owns in a warehouse, so that running it again resets the demo's own data and nothing else.
 *
 * The demo's NAMES come from its catalog: the pipelines' target tables (the directory
 * `<warehouse>/<db>/<name>` and the registration `db.name`), the pipelines (their `pipeline_log`
 * rows) and the landing area its file sources read (`landing/orders/`, …). What the demo actually
 * CREATED is recorded in a manifest, `<warehouse>/.tidemark-demo.json`, written before it creates
 * anything:
 *
 *   { "version": 1, "warehouse": "/abs/warehouse",
 *     "tables": ["bronze/orders", …],                        table directories, relative to the warehouse
 *     "landing": ["landing/orders/day=1/part-0.jsonl", …],   landing files, relative to the warehouse
 *     "metastores": { "embedded": { "tables": ["bronze.orders", …], "pipelines": ["bronze_orders", …] } } }
 *
 * Metastore claims are kept per metastore (`embedded`, or the server's URL without its password),
 * and count only for the warehouse path they were written in (a copied warehouse does not own its
 * original's rows on a shared server). A demo name that exists but is not claimed is a CONFLICT: a
 * table directory, a registration (or a claimed one that points elsewhere), log rows of a demo
 * pipeline, a file in the demo's landing area. The demo then refuses, naming each, and changes
 * nothing. A reset removes exactly what is both a demo name and claimed — log rows, registrations,
 * table directories, landing files — then the directories that left empty (never the warehouse, never
 * the metastore), and rewrites the manifest. Claims count only for demo names, so a damaged manifest
 * cannot make the demo delete anything else. One case a name-based record cannot see: delete a demo
 * table by hand and create your own under the same name, and the manifest still claims it; delete
 * the manifest too, and the demo will refuse instead.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConfigFlags, type ResolvedConfig, redact, resolveConfig } from '../config/config.ts';
import { loadCatalog } from '../definitions/load-catalog.ts';
import { InvalidArgumentError, TableExistsError, messageOf } from '../errors.ts';
import type { Metastore } from '../metastore/metastore.ts';
import { openMetastore } from '../metastore/open-metastore.ts';
import { type PipelineDefinition, splitTableName } from '../pipeline/definition.ts';
import type { FileStore } from '../storage/file-store.ts';
import { LocalFileStore } from '../storage/local-file-store.ts';

/** The demo's own catalog: `catalog/` of the sources, or its compiled copy in the package (`dist/catalog/`). */
export const DEMO_CATALOG = fileURLToPath(new URL('../../catalog/', import.meta.url));
/** The manifest's file name, in the warehouse. */
export const DEMO_MANIFEST = '.tidemark-demo.json';

/** The demo's names in one warehouse, from its catalog. */
export interface DemoNames {
  readonly warehouse: string;
  /** Target tables: `db.name` and the directory the demo creates it in. */
  readonly tables: ReadonlyArray<{ readonly name: string; readonly dir: string }>;
  readonly pipelines: ReadonlyArray<string>;
  /** The directories its file sources read (inside the warehouse). */
  readonly landingDirs: ReadonlyArray<string>;
}

/** What the demo has done in a warehouse (see the module comment). */
interface Manifest {
  readonly version: 1;
  readonly warehouse: string;
  readonly tables: ReadonlyArray<string>;
  readonly landing: ReadonlyArray<string>;
  readonly metastores: Readonly<Record<string, { readonly tables: ReadonlyArray<string>; readonly pipelines: ReadonlyArray<string> }>>;
}

/** Demo names that exist, sorted into the demo's own and the conflicts. */
interface Found {
  readonly conflicts: string[];
  readonly tableDirs: string[];
  readonly landingFiles: string[];
  readonly registrations: string[];
  /** Demo pipelines with log rows. */
  readonly pipelines: string[];
}

/** What {@link resetDemo} removed. */
export interface DemoReset {
  /** Table directories, landing files and the directories they left empty. */
  readonly removed: ReadonlyArray<string>;
  /** Registrations removed (`db.name`). */
  readonly unregistered: ReadonlyArray<string>;
  /** `pipeline_log` rows deleted. */
  readonly logRows: number;
}

/** The demo's settings: the global flags (env and defaults fill the rest), the catalog defaulting to {@link DEMO_CATALOG}. */
export function demoConfig(flags: ConfigFlags): ResolvedConfig {
  return resolveConfig({ ...flags, catalog: flags.catalog ?? DEMO_CATALOG });
}

/** The demo's names in `warehouse`, from its catalog's pipelines. */
function demoNames(warehouse: string, pipelines: Iterable<PipelineDefinition>): DemoNames {
  const tables = new Map<string, string>();
  const names: string[] = [];
  const dirs = new Set<string>();
  for (const def of pipelines) {
    names.push(def.name);
    const { database, name } = splitTableName(def.target.table);
    tables.set(`${database}.${name}`, path.join(warehouse, database, name));
    if (def.source.kind === 'files') {
      const dir = staticDir(path.resolve(def.source.path.replaceAll('{warehouse}', warehouse)));
      if (isInside(warehouse, dir)) dirs.add(dir);
    }
  }
  const landingDirs = [...dirs].filter((d) => ![...dirs].some((other) => isInside(other, d))).sort();
  return { warehouse, tables: [...tables].map(([name, dir]) => ({ name, dir })), pipelines: names.sort(), landingDirs };
}

/** The demo's names in the configured warehouse, from the configured (demo) catalog. */
export async function loadDemoNames(store: FileStore, config: ResolvedConfig): Promise<DemoNames> {
  const catalog = await loadCatalog(store, config.catalog);
  if (catalog.pipelines.size === 0) throw new InvalidArgumentError(`the demo's catalog ${config.catalog} has no pipelines`, { file: config.catalog });
  return demoNames(config.warehouse, catalog.pipelines.values());
}

/**
 * Refuses when a demo name exists that the demo did not create, naming each. The files are looked
 * at first, and the metastore (when it exists) only when something is already wrong, to name all of
 * it: the normal path opens no metastore and creates nothing ({@link claimDemo} checks the metastore
 * in the demo's session).
 */
export async function checkDemo(store: FileStore, names: DemoNames, config: ResolvedConfig): Promise<void> {
  const manifest = await readManifest(store, names.warehouse);
  if ((await inspect(store, names, manifest, undefined)).conflicts.length === 0) return;
  const found = await withExistingMetastore(config, (metastore) => inspect(store, names, manifest, metastore === undefined ? undefined : { metastore, id: metastoreId(config) }));
  refuse(names, found.conflicts);
}

/**
 * Checks that every demo name that exists is the demo's own, then records the demo as the owner of
 * all its names in this warehouse and `metastore`, and of `landing` (the files it is about to write),
 * before it creates any of them.
 */
export async function claimDemo(store: FileStore, names: DemoNames, metastore: Metastore, config: ResolvedConfig, landing: ReadonlyArray<string>): Promise<void> {
  const manifest = await readManifest(store, names.warehouse);
  const id = metastoreId(config);
  const found = await inspect(store, names, manifest, { metastore, id });
  if (found.conflicts.length > 0) refuse(names, found.conflicts);
  const outside = landing.find((f) => !names.landingDirs.some((d) => isInside(d, f)));
  if (outside !== undefined) {
    throw new InvalidArgumentError(`the demo's landing file ${outside} is outside the directories its pipelines read (${names.landingDirs.join(', ')})`, { file: outside });
  }
  const w = names.warehouse;
  await writeManifest(store, w, {
    version: 1,
    warehouse: w,
    tables: names.tables.map((t) => relative(w, t.dir)),
    landing: [...new Set([...found.landingFiles, ...landing].map((f) => relative(w, f)))].sort(),
    metastores: { ...(manifest?.warehouse === w ? manifest.metastores : {}), [id]: { tables: names.tables.map((t) => t.name), pipelines: [...names.pipelines] } },
  });
}

/**
 * Removes what earlier demo runs created in the configured warehouse and metastore (see the module
 * comment), and nothing else; refuses, changing nothing, when a demo name exists that the demo did
 * not create. `catalog` defaults to {@link DEMO_CATALOG}.
 */
export async function resetDemo(options: ConfigFlags = {}): Promise<DemoReset> {
  const config = demoConfig(options);
  const store = new LocalFileStore();
  const w = config.warehouse;
  const names = await loadDemoNames(store, config);
  const manifest = await readManifest(store, w);
  const id = metastoreId(config);
  // The metastore's part first: should removing files fail half-way, the manifest still claims the rest.
  const { found, logRows } = await withExistingMetastore(config, async (metastore) => {
    const inspected = await inspect(store, names, manifest, metastore === undefined ? undefined : { metastore, id });
    if (inspected.conflicts.length > 0) refuse(names, inspected.conflicts);
    if (metastore === undefined) return { found: inspected, logRows: 0 };
    const deleted = await metastore.deleteRuns(inspected.pipelines);
    for (const table of inspected.registrations) {
      const { database, name } = splitTableName(table);
      await metastore.unregisterTable(database, name);
    }
    return { found: inspected, logRows: deleted };
  });
  const removed: string[] = [];
  for (const p of [...found.tableDirs, ...found.landingFiles]) {
    await store.remove(p);
    removed.push(p);
    // The directories this left empty, up to (not including) the warehouse.
    for (let dir = path.dirname(p); isInside(w, dir) && (await store.exists(dir)) && (await store.listNames(dir)).length === 0; dir = path.dirname(dir)) {
      await store.remove(dir);
      removed.push(dir);
    }
  }
  // What is left to claim: this warehouse's claims in other metastores (nothing of this one's, and no files: all removed).
  const others = Object.entries(manifest?.warehouse === w ? manifest.metastores : {}).filter(([key]) => key !== id);
  if (others.length === 0) await store.remove(path.join(w, DEMO_MANIFEST));
  else await writeManifest(store, w, { version: 1, warehouse: w, tables: [], landing: [], metastores: Object.fromEntries(others) });
  return { removed, unregistered: found.registrations, logRows };
}

/** Runs `fn` on the configured metastore, or on none when it is an embedded store never created (it holds nothing of the demo's; do not create one to look). */
async function withExistingMetastore<T>(config: ResolvedConfig, fn: (metastore: Metastore | undefined) => Promise<T>): Promise<T> {
  if (config.metastoreUrl === undefined && !existsSync(path.join(config.embeddedMetastoreDir, 'PG_VERSION'))) return fn(undefined);
  const metastore = await openMetastore(config);
  try {
    return await fn(metastore);
  } finally {
    await metastore.close();
  }
}

/** How the manifest names a metastore: `embedded`, or the server's URL without its password. */
function metastoreId(config: ResolvedConfig): string {
  return config.metastoreUrl === undefined ? 'embedded' : redact(config.metastoreUrl);
}

/** Sorts the demo names that exist into the demo's own (claimed in `manifest`) and conflicts; the metastore's only when given. */
async function inspect(store: FileStore, names: DemoNames, manifest: Manifest | undefined, ms: { readonly metastore: Metastore; readonly id: string } | undefined): Promise<Found> {
  const w = names.warehouse;
  const found: Found = { conflicts: [], tableDirs: [], landingFiles: [], registrations: [], pipelines: [] };
  const claimedDirs = new Set(manifest?.tables);
  for (const t of names.tables) {
    if (!(await store.exists(t.dir))) continue;
    if (claimedDirs.has(relative(w, t.dir))) found.tableDirs.push(t.dir);
    else found.conflicts.push(`table directory ${t.dir} (${t.name})`);
  }
  const claimedFiles = new Set(manifest?.landing);
  for (const dir of names.landingDirs) {
    for (const file of await filesUnder(store, dir)) {
      if (claimedFiles.has(relative(w, file))) found.landingFiles.push(file);
      else found.conflicts.push(`landing file ${file} (the demo's pipelines read ${dir})`);
    }
  }
  if (ms === undefined) return found;
  const claims = manifest?.warehouse === w && Object.hasOwn(manifest.metastores, ms.id) ? manifest.metastores[ms.id] : undefined;
  for (const t of names.tables) {
    const { database, name } = splitTableName(t.name);
    const registered = await ms.metastore.getTable(database, name);
    if (registered === undefined) continue;
    if (claims?.tables.includes(t.name) === true && path.resolve(registered.basePath) === t.dir) found.registrations.push(t.name);
    else found.conflicts.push(`registered table ${t.name} (at ${registered.basePath})`);
  }
  for (const pipeline of names.pipelines) {
    const runs = (await ms.metastore.runs({ pipelineName: pipeline })).length;
    if (runs === 0) continue;
    if (claims?.pipelines.includes(pipeline) === true) found.pipelines.push(pipeline);
    else found.conflicts.push(`pipeline ${pipeline} (${runs} run${runs === 1 ? '' : 's'} in pipeline_log)`);
  }
  return found;
}

/** The refusal: every conflict by name. */
function refuse(names: DemoNames, conflicts: ReadonlyArray<string>): never {
  const table = names.tables.find((t) => conflicts.some((c) => c.startsWith(`table directory ${t.dir} `)));
  throw new TableExistsError(
    `the demo did not create these, and will not overwrite or delete them (warehouse ${names.warehouse}):\n${conflicts.map((c) => `  - ${c}`).join('\n')}\n` +
      'Move or remove them, rename your own pipelines and tables, or run the demo in another warehouse (--warehouse DIR). ' +
      `(The demo records what it creates in ${path.join(names.warehouse, DEMO_MANIFEST)}; demo runs of an older Tidemark recorded nothing.)`,
    { ...(table === undefined ? {} : { table: table.dir }), value: conflicts },
  );
}

async function readManifest(store: FileStore, warehouse: string): Promise<Manifest | undefined> {
  const file = path.join(warehouse, DEMO_MANIFEST);
  if (!(await store.exists(file))) return undefined;
  const text = await store.readText(file);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`the demo's record ${file} is not valid JSON (${messageOf(error)}); move it away, and the demo will name what it finds instead`, { file, cause: error });
  }
  const strings = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');
  const m = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const stores = typeof m.metastores === 'object' && m.metastores !== null ? Object.values(m.metastores as Record<string, Record<string, unknown> | null>) : undefined;
  const valid = m.version === 1 && typeof m.warehouse === 'string' && strings(m.tables) && strings(m.landing) &&
    stores !== undefined && stores.every((s) => typeof s === 'object' && s !== null && strings(s.tables) && strings(s.pipelines));
  if (!valid) throw new InvalidArgumentError(`the demo's record ${file} is not one this Tidemark can read; move it away, and the demo will name what it finds instead`, { file });
  return value as Manifest;
}

async function writeManifest(store: FileStore, warehouse: string, manifest: Manifest): Promise<void> {
  await store.writeAtomic(path.join(warehouse, DEMO_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Every file under `dir` (recursively), skipping hidden names as file sources do; none when it does not exist. */
async function filesUnder(store: FileStore, dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await store.list(dir)) {
    if (entry.name.startsWith('.')) continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory) files.push(...(await filesUnder(store, p)));
    else files.push(p);
  }
  return files.sort();
}

/** The directory of a glob's fixed part: `/w/landing/orders/*\/*.jsonl` → `/w/landing/orders`. */
function staticDir(pattern: string): string {
  const parts = pattern.split(path.sep);
  const wild = parts.findIndex((p) => /[*?[{]/.test(p));
  return wild < 0 ? path.dirname(pattern) : parts.slice(0, wild).join(path.sep) || path.sep;
}

/** Whether `child` is strictly inside `parent`. */
function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/** `p` relative to the warehouse, with `/` separators (the manifest's form). */
function relative(warehouse: string, p: string): string {
  return path.relative(warehouse, p).split(path.sep).join('/');
}
