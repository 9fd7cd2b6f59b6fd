/**
 * From a read's options to what it scans: the `where` filter checked, cleaned instants refused,
 * partitions the filter rules out pruned, and `tidemark_scan(...)` calls in a statement replaced by
 * their reads' SELECTs. The facade (`Tidemark`) hands in how it loads (and caches) tables.
 */
import path from 'node:path';
import type { FileSlice } from '../../table/file-slice.ts';
import type { EngineContext } from '../context.ts';
import type { TableState } from '../load/table-state.ts';
import { assertNotCleaned } from '../services/clean.ts';
import type { ScannedTable } from '../tidemark-options.ts';
import { mayPrune, prunePartitions } from './partition-pruning.ts';
import { type ReadOptions, readSql, slicesForRead } from './read.ts';
import { rewriteScans } from './scan-rewrite.ts';
import { checkWhereFilter } from './where-filter.ts';
import { changesSql } from './changes.ts';
import { InvalidArgumentError } from '../../errors.ts';
import { sqlIdent } from '../../storage/duckdb/sql.ts';

/** Loads a table by base path, as the engine caches it. */
export type TableLoader = (basePath: string) => Promise<TableState>;

/** Maps a `tidemark_scan` address to a base path (the CLI resolves registered names with it). */
export type ScanResolver = (nameOrPath: string) => Promise<string>;

/** The SELECT of a read, with the table state it was built from. */
export async function planRead(ctx: EngineContext, table: TableLoader, basePath: string, options: ReadOptions): Promise<{ sql: string; state: TableState }> {
  if (options.where !== undefined) checkWhereFilter(options.where);
  const state = await table(basePath);
  if (options.changes === true) return { sql: await changeFeedSql(ctx, state, options), state };
  await assertNotCleaned(ctx, state, options);
  const keep = await partitionsToKeep(ctx, state, options);
  return { sql: readSql(state, keep === undefined ? options : { ...options, partitions: keep }), state };
}

/** The file slices a read would scan, after partition pruning. */
export async function sliceRead(ctx: EngineContext, table: TableLoader, basePath: string, options: ReadOptions): Promise<FileSlice[]> {
  if (options.where !== undefined) checkWhereFilter(options.where);
  if (options.changes === true) throw new InvalidArgumentError(`the change feed of ${basePath} reads slices from before each commit too: it is not offered by fileSlices or read-only SQL`, { table: basePath });
  const state = await table(basePath);
  const keep = await partitionsToKeep(ctx, state, options);
  return slicesForRead(state, keep === undefined ? options : { ...options, partitions: keep }).slices;
}

/** `statement` with every `tidemark_scan(...)` replaced by its read's SELECT; each scan is pushed onto `scans`. */
export async function expandScans(ctx: EngineContext, table: TableLoader, statement: string, resolve: ScanResolver | undefined, scans: ScannedTable[]): Promise<string> {
  return rewriteScans(statement, async (call) => {
    const basePath = resolve === undefined ? call.path : await resolve(call.path);
    const { sql, state } = await planRead(ctx, table, basePath, call.options);
    scans.push({ path: basePath, options: call.options, state });
    return sql;
  });
}

/** The absolute paths of the base files the scans read. */
export async function scannedFiles(ctx: EngineContext, table: TableLoader, scans: ReadonlyArray<ScannedTable>): Promise<string[]> {
  const files: string[] = [];
  for (const scan of scans) {
    const state = await table(scan.path);
    for (const s of await sliceRead(ctx, table, scan.path, scan.options)) files.push(path.join(state.basePath, s.baseFile.path));
  }
  return files;
}

/** The change feed's SELECT with the read's columns, filter and limit on top. */
async function changeFeedSql(ctx: EngineContext, state: TableState, options: ReadOptions): Promise<string> {
  if (options.asOf !== undefined) throw new InvalidArgumentError('a change feed is of commits (since, until], not as of an instant', { table: state.basePath });
  const feed = await changesSql(ctx, state, { ...(options.since === undefined ? {} : { since: options.since }), ...(options.until === undefined ? {} : { until: options.until }) });
  const projection = options.columns === undefined || options.columns.length === 0 ? '*' : options.columns.map(sqlIdent).join(', ');
  const where = options.where === undefined ? '' : ` WHERE (${options.where}\n)`;
  const limit = options.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(options.limit))}`;
  return `SELECT ${projection} FROM (${feed})${where} ORDER BY _change_order${limit}`;
}

/**
 * The partitions a read keeps, when its `where` filter prunes any (within the caller's own
 * `partitions`); undefined when nothing is pruned. Pruning costs DuckDB round trips, so it is
 * skipped when the filter names no partition column.
 */
async function partitionsToKeep(ctx: EngineContext, state: TableState, options: ReadOptions): Promise<((partitionPath: string) => boolean) | undefined> {
  if (options.where === undefined || !mayPrune(state, options.where)) return undefined;
  const keep = await prunePartitions(ctx.duck, state, options.where, [...new Set(state.files.map((f) => f.partitionPath))]);
  if (keep === undefined) return undefined;
  const chosen = options.partitions;
  return (p) => keep.has(p) && (chosen === undefined || chosen(p));
}
