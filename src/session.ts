/**
 * A session wires the pieces for one unit of work: resolved configuration, the engine (one DuckDB),
 * the metastore (a server or embedded PGlite), the catalog's pipelines, a clock and a logger. The
 * CLI opens one per command; the package's `runPipeline` / `dailyRun` / `pipelineStatus` open one
 * per call unless given one. Close it when done: it releases the embedded metastore's lock.
 */
import { type ConfigFlags, type ResolvedConfig, resolveConfig } from './config/config.ts';
import { loadCatalog } from './definitions/load-catalog.ts';
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
}

/** An open engine + metastore + catalog. */
export class TidemarkSession {
  private constructor(
    readonly config: ResolvedConfig,
    readonly engine: Tidemark,
    readonly metastore: Metastore,
    readonly context: PipelineContext,
  ) {}

  /** Opens a session; the metastore's migrations run on first use. */
  static async open(options: SessionOptions = {}): Promise<TidemarkSession> {
    const config = resolveConfig(options, options.env ?? process.env);
    const store = new LocalFileStore();
    const pipelines = new Map((await loadCatalog(store, config.catalog)).entries());
    for (const p of options.definitions ?? []) pipelines.set(p.name, p);
    const clock = options.clock ?? systemClock;
    const engine = await Tidemark.open({ clock, store });
    let metastore: Metastore;
    try {
      metastore = await openMetastore(config);
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
