/**
 * Everything a pipeline run needs, built once by the caller (the CLI, the demo, a test): the engine,
 * the metastore, the file store, the warehouse path, the clock, the logger and the known pipelines.
 */
import path from 'node:path';
import type { Tidemark } from '../engine/tidemark.ts';
import type { TableState } from '../engine/load/table-state.ts';
import type { Logger } from '../logging/logger.ts';
import type { Metastore } from '../metastore/metastore.ts';
import type { FileStore } from '../storage/file-store.ts';
import type { Clock } from '../time/clock.ts';
import { type PipelineDefinition, splitTableName } from './definition.ts';

/** The dependencies of pipeline runs. */
export interface PipelineContext {
  readonly engine: Tidemark;
  readonly metastore: Metastore;
  readonly store: FileStore;
  readonly warehouse: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The pipelines of the catalog, by name. */
  readonly pipelines: ReadonlyMap<string, PipelineDefinition>;
}

/** Where a table lives: its registered base path, or `<warehouse>/<database>/<name>` for a new one. */
export async function tableLocation(ctx: PipelineContext, table: string): Promise<{ basePath: string; registered: boolean }> {
  const { database, name } = splitTableName(table);
  const found = await ctx.metastore.getTable(database, name);
  if (found !== undefined) return { basePath: found.basePath, registered: true };
  return { basePath: path.join(ctx.warehouse, database, name), registered: false };
}

/** Registers a table the pipeline layer created, from its loaded state. */
export async function registerTableState(ctx: PipelineContext, table: string, state: TableState): Promise<void> {
  const { database, name } = splitTableName(table);
  await ctx.metastore.registerTable({
    database,
    name,
    basePath: state.basePath,
    recordKeyFields: state.config.recordKeyFields,
    precombineField: state.config.precombineField ?? null,
    partitionFields: state.config.partitionFields,
    tableType: state.config.tableType,
    schema: null,
    properties: {},
    latestInstant: state.timeline.latestCompletedWrite()?.time ?? null,
  });
}

/** A table name (`db.name`) or a path, as a path. */
export async function pathOfNameOrPath(ctx: PipelineContext, nameOrPath: string): Promise<string> {
  if (/^[A-Za-z_]\w*\.[A-Za-z_]\w*$/.test(nameOrPath)) {
    const { database, name } = splitTableName(nameOrPath);
    const found = await ctx.metastore.getTable(database, name);
    if (found !== undefined) return found.basePath;
  }
  return nameOrPath;
}
