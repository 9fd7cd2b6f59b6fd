/**
 * A session wires the pieces for one unit of work: resolved configuration, the engine (one DuckDB),
 * the metastore (a server or embedded PGlite), the catalog's pipelines, a clock and a logger. The
 * CLI opens one per command; the package's `runPipeline` / `dailyRun` / `pipelineStatus` open one
 * per call unless given one. Close it when done: it releases the embedded metastore's lock.
 */
import { type ConfigFlags, type ResolvedConfig, resolveConfig } from './config/config.ts';
import { InvalidArgumentError } from './errors.ts';
import { type CatalogProblem, loadCatalog } from './definitions/load-catalog.ts';
import { Tidemark } from './engine/tidemark.ts';
import { type Logger, silentLogger } from './logging/logger.ts';
import type { Metastore } from './metastore/metastore.ts';
import { openMetastore } from './metastore/open-metastore.ts';
import type { PipelineDefinition } from './pipeline/definition.ts';
import type { PipelineContext } from './pipeline/context.ts';
import { LocalFileStore } from './storage/local-file-store.ts';
import { type Clock, systemClock } from './time/clock.ts';

/** How to open a session: config flags (env and defaults fill the rest), and optional overrides. */
export interface SessionOptions extends ConfigFlags {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Pipeline definitions to use besides the catalog directory's (same name: these win). */
  readonly definitions?: ReadonlyArray<PipelineDefinition>;
  /** Environment to resolve settings from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * How the catalog directory is used. `strict` (default): a module that fails to load fails the
   * open. `lenient`: it is reported to `onCatalogProblem` and skipped (commands that do not run
   * pipelines). `required`: strict, and a catalog directory that does not exist is an error too
   * (unless `definitions` are given), so a run from the wrong directory does not succeed doing nothing.
   */
  readonly catalogMode?: 'strict' | 'lenient' | 'required';
  /** Told of each catalog module skipped in `lenient` mode. */
  readonly onCatalogProblem?: (problem: CatalogProblem) => void;
  /** Open only an existing warehouse and metastore, creating nothing (default false). */
  readonly readOnly?: boolean;
}

/** An open engine + metastore + catalog. */
export class TidemarkSession {
  private constructor(
    readonly config: ResolvedConfig,
    readonly engine: Tidemark,
    readonly metastore: Metastore,
    readonly context: PipelineContext,
  ) {}

  /**
   * Opens a session: resolves the configuration (flags, then the environment, then defaults), loads
   * the catalog, opens an engine and the metastore (whose migrations run on first use). Close it.
   *
   * @throws {@link InvalidArgumentError} for a bad configuration value, a catalog module that fails
   *   to load (`strict`, the default), or a missing catalog folder (`required`).
   * @throws {@link NotFoundError} with `readOnly`, when the metastore does not exist or is not initialised.
   * @throws {@link MetastoreInUseError} when the embedded metastore is open in another process.
   * @throws {@link MetastoreError} when the metastore cannot be opened or migrated.
   * @throws {@link StorageError} when the warehouse's directories cannot be created.
   */
  static async open(options: SessionOptions = {}): Promise<TidemarkSession> {
    const config = resolveConfig(options, options.env ?? process.env);
    const store = new LocalFileStore();
    const mode = options.catalogMode ?? 'strict';
    const catalog = await loadCatalog(store, config.catalog, { onError: mode === 'lenient' ? 'collect' : 'throw' });
    if (mode === 'required' && !catalog.exists && (options.definitions ?? []).length === 0) {
      throw new InvalidArgumentError(
        `the catalog directory ${config.catalog} does not exist; run from your project's folder, or set it with --catalog DIR (or TIDEMARK_CATALOG)`,
        { file: config.catalog },
      );
    }
    for (const problem of catalog.problems) options.onCatalogProblem?.(problem);
    const pipelines = catalog.pipelines;
    for (const p of options.definitions ?? []) pipelines.set(p.name, p);
    const clock = options.clock ?? systemClock;
    // With a logger, the engine's warnings, the metastore's notices and its driver's messages go to
    // it; without, to stderr.
    const logger = options.logger;
    const warn = logger === undefined ? undefined : (message: string): void => logger.warn(message);
    const engine = await Tidemark.open({ clock, store, ...(warn === undefined ? {} : { onWarning: warn }) });
    let metastore: Metastore;
    try {
      metastore = await openMetastore(config, {
        create: options.readOnly !== true,
        ...(logger === undefined ? {} : { onNotice: warn, onDriverLog: (level: 'debug' | 'warn' | 'error', message: string) => logger[level](message) }),
      });
    } catch (error) {
      engine.close();
      throw error;
    }
    const context: PipelineContext = { engine, metastore, store, warehouse: config.warehouse, clock, logger: options.logger ?? silentLogger, pipelines };
    return new TidemarkSession(config, engine, metastore, context);
  }

  /** Releases DuckDB and the metastore. */
  async close(): Promise<void> {
    try {
      await this.metastore.close();
    } finally {
      this.engine.close();
    }
  }
}
