/**
 * Running a query over tables (`Tidemark.read`, `sql`): the user's mistakes (parse, bind, catalog
 * errors) are told from failures of the files, a base file gone missing from a scanned table is
 * named, and a query that fails while a scanned table's timeline moved under it starts over.
 */
import { InvalidArgumentError, StorageError, messageOf } from '../../errors.ts';
import type { Row } from '../../storage/duckdb/values.ts';
import type { EngineContext } from '../context.ts';
import { explainMissingBaseFile } from '../load/missing-files.ts';
import type { TableState } from '../load/table-state.ts';
import type { ScannedTable } from '../tidemark-options.ts';
import { slicesForRead } from './read.ts';

/**
 * How many times a read is tried. A read builds its SQL from the timeline it loaded; a restore (or
 * a clean) that completes meanwhile may delete base files the read still names. A read that fails
 * while a scanned table's timeline changed under it starts over against the new timeline.
 */
const READ_ATTEMPTS = 4;

/** Runs the query `build` makes (recording the tables it scans in its argument); `table` loads a table as the engine caches it. */
export async function runQuery(
  ctx: EngineContext,
  table: (basePath: string) => Promise<TableState>,
  what: string,
  build: (scans: ScannedTable[]) => Promise<string>,
): Promise<Row[]> {
  for (let attempt = 1; ; attempt++) {
    const scans: ScannedTable[] = [];
    const sql = await build(scans);
    try {
      return await ctx.duck.plainRows(sql);
    } catch (error) {
      const message = messageOf(error);
      if (/^(Parser|Binder|Catalog|Conversion|Invalid Input|Not implemented) Error/.test(message.replace(/^Error: /, ''))) {
        throw new InvalidArgumentError(`${what} failed: ${message}`, { cause: error });
      }
      if (attempt < READ_ATTEMPTS && (await timelineMoved(table, scans))) continue;
      throw await explainFailure(ctx, table, what, error, scans);
    }
  }
}

/** Whether a scanned table's timeline changed since the query's SQL was built from it. */
async function timelineMoved(table: (basePath: string) => Promise<TableState>, scans: ReadonlyArray<ScannedTable>): Promise<boolean> {
  for (const scan of scans) {
    // A table that no longer loads has changed too; the next attempt raises why.
    if (scan.state !== undefined && (await table(scan.path).catch(() => undefined)) !== scan.state) return true;
  }
  return false;
}

/** The error a failed query over `scans` raises: a missing base file named, else a StorageError. */
async function explainFailure(ctx: EngineContext, table: (basePath: string) => Promise<TableState>, what: string, error: unknown, scans: ReadonlyArray<ScannedTable>): Promise<unknown> {
  for (const scan of scans) {
    const state = await table(scan.path);
    const { asOf, since, until } = scan.options;
    const slices = slicesForRead(state, { ...(asOf === undefined ? {} : { asOf }), ...(since === undefined ? {} : { since }), ...(until === undefined ? {} : { until }) }).slices;
    const explained = await explainMissingBaseFile(ctx.store, state, slices.map((s) => s.baseFile), what, error);
    if (explained !== error) return explained;
  }
  return new StorageError(`${what} failed: ${messageOf(error)}`, { cause: error });
}
