/**
 * Reads as DuckDB SQL: a snapshot (latest or as of an instant) or an incremental read (the latest
 * state of every record committed in (since, until]). The result is a SELECT over the visible base
 * files, so callers can run any SQL on it.
 */
import path from 'node:path';
import { InvalidArgumentError } from '../../errors.ts';
import { normalizeInstant } from '../../time/normalize-instant.ts';
import { sqlIdent, sqlString, sqlStringList } from '../../storage/duckdb/sql.ts';
import type { FileSlice } from '../../table/file-slice.ts';
import { duckdbTypeSql } from '../../table/schema.ts';
import { META_COLUMNS } from '../../table/meta-fields.ts';
import { type TableState, readInstant, tableSchema, visibleSlices } from '../load/table-state.ts';
import { checkWhereFilter } from './where-filter.ts';

/**
 * Options of a read. Every field is optional; by default a read is the latest snapshot, every
 * column, every row. Instants are instant times (`yyyyMMddHHmmss` or `yyyyMMddHHmmssSSS`) or ISO
 * dates/times. `asOf` and `since`/`until` exclude each other.
 */
export interface ReadOptions {
  /** A snapshot as of this instant (time travel); default: the latest. */
  readonly asOf?: string;
  /** Incremental read: records committed after this instant (exclusive); default: from the start. */
  readonly since?: string;
  /** Incremental read: records committed up to this instant (inclusive); default: the latest commit. */
  readonly until?: string;
  /** The columns to return (meta fields included by name); default or empty: every column. */
  readonly columns?: ReadonlyArray<string>;
  /** One SQL expression over the table's columns (no `;`, no subquery; see `where-filter.ts`); default: none. */
  readonly where?: string;
  /** At most this many rows (a count; fractions rounded down, negatives as 0); default: no limit. */
  readonly limit?: number;
  /** Keeps only partitions whose path passes; see `partitionPredicate`. Default: every partition. */
  readonly partitions?: (partitionPath: string) => boolean;
  /**
   * The change feed of the commits in (`since`, `until`] instead of records: one row per change, with
   * `_change_type`, `_commit_time` and `_change_order` (see `changes.ts`). Default: false.
   */
  readonly changes?: boolean;
}

/** The slices a read touches, and the row filter it needs. */
export function slicesForRead(state: TableState, options: ReadOptions): { slices: FileSlice[]; rowFilter: string | undefined; asOf: string | undefined } {
  if (options.asOf !== undefined && (options.since !== undefined || options.until !== undefined)) {
    throw new InvalidArgumentError('a read is either as of an instant or incremental (since/until), not both', { table: state.basePath });
  }
  const keep = (s: FileSlice): boolean => options.partitions === undefined || options.partitions(s.partitionPath);
  if (options.since === undefined && options.until === undefined) {
    const asOf = options.asOf === undefined ? undefined : normalizeInstant(options.asOf, 'as-of instant');
    return { slices: visibleSlices(state, asOf).filter(keep), rowFilter: undefined, asOf };
  }
  if (!state.config.populateMetaFields) {
    throw new InvalidArgumentError(`table ${state.config.name} at ${state.basePath} has no meta fields, so it cannot be read incrementally`, { table: state.basePath });
  }
  const since = options.since === undefined ? '00000000000000000' : normalizeInstant(options.since, 'since instant');
  // A pending restore caps the range at its savepoint (`readInstant`).
  const until = readInstant(state, options.until === undefined ? state.timeline.latestCompletedWrite()?.time : normalizeInstant(options.until, 'until instant'));
  if (until === undefined) return { slices: [], rowFilter: undefined, asOf: undefined };
  // File groups written by a commit in (since, until]; their slice as of `until`; rows committed in the range.
  const written = new Set<string>();
  for (const instant of state.timeline.writesBetween(since, until)) {
    for (const stats of Object.values(state.commits.get(instant.time)?.partitionToWriteStats ?? {})) {
      for (const s of stats) if (s.partitionPath !== null || s.path !== null) written.add(`${s.partitionPath ?? ''}\u0000${s.fileId}`);
    }
  }
  const slices = visibleSlices(state, until).filter((s) => written.has(`${s.partitionPath}\u0000${s.fileId}`) && keep(s));
  const rowFilter = `_hoodie_commit_time > ${sqlString(since)} AND _hoodie_commit_time <= ${sqlString(until)}`;
  return { slices, rowFilter, asOf: until };
}

/** The SELECT statement of a read. */
export function readSql(state: TableState, options: ReadOptions = {}): string {
  if (options.where !== undefined) checkWhereFilter(options.where);
  const { slices, rowFilter, asOf } = slicesForRead(state, options);
  const projection = options.columns === undefined || options.columns.length === 0 ? '*' : options.columns.map(sqlIdent).join(', ');
  const filters = [rowFilter, options.where === undefined ? undefined : `(${options.where}\n)`].filter((f) => f !== undefined);
  const where = filters.length === 0 ? '' : ` WHERE ${filters.join(' AND ')}`;
  const limit = options.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(options.limit))}`;
  return `SELECT ${projection} FROM ${relationSql(state, slices, asOf)}${where}${limit}`;
}

/** A relation over the given slices: `read_parquet(...)`, or an empty typed relation when there are none. */
export function relationSql(state: TableState, slices: ReadonlyArray<FileSlice>, asOf?: string): string {
  if (slices.length > 0) {
    const files = slices.map((s) => path.join(state.basePath, s.baseFile.path));
    return `read_parquet(${sqlStringList(files)}, union_by_name = true, hive_partitioning = false)`;
  }
  const schema = tableSchema(state, asOf) ?? [];
  const cols = [...META_COLUMNS.map((c) => `CAST(NULL AS VARCHAR) AS ${sqlIdent(c)}`), ...schema.map((f) => `CAST(NULL AS ${duckdbTypeSql(f.type)}) AS ${sqlIdent(f.name)}`)];
  return `(SELECT ${cols.join(', ')} WHERE false)`;
}
