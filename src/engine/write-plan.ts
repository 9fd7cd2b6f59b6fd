/**
 * Planning a write inside DuckDB: which stored copy each incoming record meets, what happens to it
 * (insert, update, delete, skipped as older), and which file group each change lands in. Locating
 * reads only the record key, ordering and row position of the touched partitions' latest files.
 */
import { randomUUID } from 'node:crypto';
import type { DuckSession } from '../storage/duckdb/session.ts';
import { sqlIdent, sqlString, sqlStringList } from '../storage/duckdb/sql.ts';
import { type BaseFile, newFileId } from '../table/base-file.ts';
import { assignInserts, averageRecordSize } from '../table/insert-buckets.ts';
import type { TableConfig } from '../table/table-config.ts';
import { type TableState, visibleSlices } from './table-state.ts';
import path from 'node:path';

export const WRITE_OPERATIONS = ['upsert', 'insert', 'bulk_insert', 'delete', 'insert_overwrite_table'] as const;
export type WriteOperation = (typeof WRITE_OPERATIONS)[number];

/** One file group the write produces a new slice of. */
export interface TargetGroup {
  /** Index used for the group in the plan's SQL tables (`__tm_fg`). */
  readonly index: number;
  readonly partitionPath: string;
  readonly fileId: string;
  /** The slice being rewritten; undefined for a new file group. */
  readonly previous: BaseFile | undefined;
  readonly inserts: number;
  readonly updates: number;
  readonly deletes: number;
}

/** The outcome of planning. `changes` and `inserts` are DuckDB tables the file writer reads. */
export interface WritePlan {
  readonly groups: ReadonlyArray<TargetGroup>;
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
  readonly skippedAsOlder: number;
  /** Deletes of keys the table does not hold. */
  readonly notFound: number;
  /** Updates dropped because the stored version is identical (with `dropUnchanged`). */
  readonly unchanged: number;
  /** File groups an overwrite replaces, by partition (empty for other operations). */
  readonly replaced: Readonly<Record<string, ReadonlyArray<string>>>;
  readonly changes: string;
  readonly inserts: string;
}

interface PlanArgs {
  readonly duck: DuckSession;
  readonly state: TableState | undefined;
  readonly config: TableConfig;
  readonly operation: WriteOperation;
  /** The conformed batch (see `conformBatch`). */
  readonly batch: string;
  /** Prefix for the plan's table names. */
  readonly prefix: string;
  /** Drops updates whose ordering value and every column equal the stored version. */
  readonly dropUnchanged?: boolean;
  /** The data columns (for `dropUnchanged`). */
  readonly columns?: ReadonlyArray<string>;
}

/** Deduplicates the batch, locates stored keys, classifies and assigns every change. */
export async function planWrite(args: PlanArgs): Promise<WritePlan> {
  const { duck, config, operation, batch, prefix } = args;
  const dedup = `${prefix}dedup`;
  const changes = `${prefix}changes`;
  const inserts = `${prefix}inserts`;
  const ord = config.precombineField === undefined ? undefined : sqlIdent(config.precombineField);
  // Within a batch the largest ordering value wins; on ties (or with no ordering field) the later record.
  const order = operation === 'delete' || ord === undefined ? '__tm_row DESC' : `${ord} DESC, __tm_row DESC`;
  await duck.run(`CREATE TABLE ${dedup} AS SELECT * FROM ${batch} QUALIFY row_number() OVER (PARTITION BY __tm_pp, __tm_rk ORDER BY ${order}) = 1`);

  const slices = args.state === undefined ? [] : visibleSlices(args.state);
  const lookup = operation === 'upsert' || operation === 'delete';
  const touched = new Set(await duck.column<string>(`SELECT DISTINCT __tm_pp FROM ${dedup}`));
  const candidates = lookup ? slices.filter((s) => touched.has(s.partitionPath)) : [];
  const groupsByKey = new Map<string, { index: number; partitionPath: string; fileId: string; previous: BaseFile | undefined }>();
  const groupList: Array<{ index: number; partitionPath: string; fileId: string; previous: BaseFile | undefined }> = [];
  const addGroup = (partitionPath: string, fileId: string, previous: BaseFile | undefined): number => {
    const key = `${partitionPath}\u0000${fileId}`;
    const seen = groupsByKey.get(key);
    if (seen !== undefined) return seen.index;
    const g = { index: groupList.length, partitionPath, fileId, previous };
    groupsByKey.set(key, g);
    groupList.push(g);
    return g.index;
  };
  for (const s of candidates) addGroup(s.partitionPath, s.fileId, s.baseFile);

  const files = candidates.map((s) => path.join(args.state!.basePath, s.baseFile.path));
  if (candidates.length > 0) {
    const map = candidates.map((s, i) => `(${sqlString(files[i]!)}, ${i}, ${sqlString(s.partitionPath)})`).join(', ');
    await duck.run(`CREATE TABLE ${prefix}fgmap AS SELECT * FROM (VALUES ${map}) f(path, fg, pp)`);
    await duck.run(`CREATE TABLE ${prefix}existing AS
      SELECT e._hoodie_record_key AS rk, ${ord === undefined ? 'NULL' : `e.${ord}`} AS ord, e.file_row_number AS pos, f.fg AS fg, f.pp AS pp
      FROM read_parquet(${sqlStringList(files)}, filename = true, file_row_number = true, union_by_name = true, hive_partitioning = false) e
      JOIN ${prefix}fgmap f ON e.filename = f.path
      WHERE e._hoodie_record_key IN (SELECT __tm_rk FROM ${dedup})`);
  } else {
    // Typed like the batch's ordering column, so comparisons bind the same as with stored rows.
    await duck.run(`CREATE TABLE ${prefix}existing AS
      SELECT NULL::VARCHAR AS rk, ${ord === undefined ? 'NULL' : ord} AS ord, NULL::BIGINT AS pos, NULL::INTEGER AS fg, NULL::VARCHAR AS pp FROM ${dedup} LIMIT 0`);
  }
  const older = operation === 'upsert' && ord !== undefined ? `WHEN d.${ord} < e.ord THEN 'older'` : '';
  const kind =
    operation === 'insert' || operation === 'bulk_insert' || operation === 'insert_overwrite_table'
      ? `CASE WHEN d.__tm_del THEN 'ignored' ELSE 'insert' END`
      : `CASE WHEN e.fg IS NULL THEN (CASE WHEN d.__tm_del THEN 'absent' ELSE 'insert' END) ${older}
              WHEN d.__tm_del THEN 'delete' ELSE 'update' END`;
  await duck.run(`CREATE TABLE ${changes} AS
    SELECT d.*, e.fg AS __tm_fg, e.pos AS __tm_pos, e.ord AS __tm_stored_ord, ${kind} AS __tm_kind
    FROM ${dedup} d LEFT JOIN ${prefix}existing e ON e.rk = d.__tm_rk AND e.pp = d.__tm_pp`);
  const unchanged = args.dropUnchanged && candidates.length > 0 ? await markUnchanged(duck, changes, prefix, files, ord, args.columns ?? []) : 0;

  const counts = await duck.rows(`SELECT __tm_kind AS kind, __tm_fg AS fg, __tm_pp AS pp, count(*) AS n FROM ${changes} GROUP BY ALL`);
  const perGroup = new Map<number, { updates: number; deletes: number }>();
  const insertsPerPartition = new Map<string, number>();
  const totals = { insert: 0, update: 0, delete: 0, older: 0, absent: 0 };
  for (const r of counts) {
    const n = Number(r.n);
    const k = String(r.kind) as keyof typeof totals | 'ignored' | 'unchanged';
    if (k === 'ignored' || k === 'unchanged') continue;
    totals[k] += n;
    if (k === 'insert') insertsPerPartition.set(String(r.pp), (insertsPerPartition.get(String(r.pp)) ?? 0) + n);
    if (k === 'update' || k === 'delete') {
      const g = perGroup.get(Number(r.fg)) ?? { updates: 0, deletes: 0 };
      if (k === 'update') g.updates += n;
      else g.deletes += n;
      perGroup.set(Number(r.fg), g);
    }
  }

  // Inserts: small file groups of the partition first (not for bulk_insert), then new file groups.
  const avgRecordSize = args.state === undefined ? averageRecordSize([], config.smallFileLimit) : averageRecordSize(commitTotals(args.state), config.smallFileLimit);
  const fresh = operation === 'bulk_insert' || operation === 'insert_overwrite_table';
  const rules = { smallFileLimit: fresh ? 0 : config.smallFileLimit, maxFileSize: config.maxFileSize, avgRecordSize };
  const ranges: string[] = [];
  const insertsPerGroup = new Map<number, number>();
  for (const [pp, n] of [...insertsPerPartition].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const sized = slices.filter((s) => s.partitionPath === pp).map((s) => ({ fileId: s.fileId, size: s.baseFile.size ?? 0 }));
    let lo = 1;
    for (const bucket of assignInserts(n, sized, rules)) {
      const prev = bucket.fileId === undefined ? undefined : slices.find((s) => s.partitionPath === pp && s.fileId === bucket.fileId)?.baseFile;
      const fg = addGroup(pp, bucket.fileId ?? newFileId(randomUUID()), prev);
      insertsPerGroup.set(fg, (insertsPerGroup.get(fg) ?? 0) + bucket.count);
      ranges.push(`(${sqlString(pp)}, ${lo}, ${lo + bucket.count - 1}, ${fg})`);
      lo += bucket.count;
    }
  }
  const insertRows = `SELECT *, row_number() OVER (PARTITION BY __tm_pp ORDER BY __tm_row) AS __tm_irn FROM ${changes} WHERE __tm_kind = 'insert'`;
  if (ranges.length > 0) {
    await duck.run(`CREATE TABLE ${inserts} AS
      SELECT c.* EXCLUDE (__tm_fg), b.fg AS __tm_fg FROM (${insertRows}) c
      JOIN (VALUES ${ranges.join(', ')}) b(pp, lo, hi, fg) ON c.__tm_pp = b.pp AND c.__tm_irn BETWEEN b.lo AND b.hi`);
  } else {
    await duck.run(`CREATE TABLE ${inserts} AS SELECT * EXCLUDE (__tm_fg), NULL::INTEGER AS __tm_fg FROM (${insertRows}) LIMIT 0`);
  }

  const groups: TargetGroup[] = groupList
    .map((g) => ({
      ...g,
      inserts: insertsPerGroup.get(g.index) ?? 0,
      updates: perGroup.get(g.index)?.updates ?? 0,
      deletes: perGroup.get(g.index)?.deletes ?? 0,
    }))
    .filter((g) => g.inserts + g.updates + g.deletes > 0);
  return {
    groups,
    inserted: totals.insert,
    updated: totals.update,
    deleted: totals.delete,
    skippedAsOlder: totals.older,
    notFound: totals.absent,
    unchanged,
    replaced: operation === 'insert_overwrite_table' ? replacedGroups(slices) : {},
    changes,
    inserts,
  };
}

/** Every live file group, by partition: what an overwrite of the whole table replaces. */
function replacedGroups(slices: ReadonlyArray<{ partitionPath: string; fileId: string }>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of slices) (out[s.partitionPath] ??= []).push(s.fileId);
  return out;
}

/**
 * Re-classifies as `unchanged` the updates whose ordering value and every column equal the stored
 * copy, so replaying a window (a pipeline's lookback, a rerun) rewrites nothing. Reads the full rows
 * of only the matched positions.
 */
async function markUnchanged(duck: DuckSession, changes: string, prefix: string, files: ReadonlyArray<string>, ord: string | undefined, columns: ReadonlyArray<string>): Promise<number> {
  const stored = `read_parquet(${sqlStringList(files)}, filename = true, file_row_number = true, union_by_name = true, hive_partitioning = false)`;
  const present = new Set((await duck.describe(`SELECT * FROM ${stored}`)).names);
  const same = columns.map((c) => (present.has(c) ? `c.${sqlIdent(c)} IS NOT DISTINCT FROM s.${sqlIdent(c)}` : `c.${sqlIdent(c)} IS NULL`));
  const sameOrder = ord === undefined ? 'true' : `c.${ord} IS NOT DISTINCT FROM c.__tm_stored_ord`;
  await duck.run(`CREATE TABLE ${prefix}same AS
    SELECT c.__tm_rk, c.__tm_fg, c.__tm_pos FROM ${changes} c
    JOIN ${prefix}fgmap f ON f.fg = c.__tm_fg
    JOIN ${stored} s ON s.filename = f.path AND s.file_row_number = c.__tm_pos
    WHERE c.__tm_kind = 'update' AND ${sameOrder} AND ${same.length === 0 ? 'true' : same.join(' AND ')}`);
  await duck.run(`UPDATE ${changes} SET __tm_kind = 'unchanged'
    WHERE (__tm_rk, __tm_fg, __tm_pos) IN (SELECT (__tm_rk, __tm_fg, __tm_pos) FROM ${prefix}same)`);
  const [r] = await duck.rows(`SELECT count(*) AS n FROM ${prefix}same`);
  return Number(r!.n);
}

/** Bytes and records written by each completed write, newest first. */
function commitTotals(state: TableState): Array<{ totalWriteBytes: number; totalRecords: number }> {
  return state.timeline
    .completedWrites()
    .map((i) => state.commits.get(i.time))
    .filter((m) => m !== undefined)
    .reverse()
    .map((m) => {
      let totalWriteBytes = 0;
      let totalRecords = 0;
      for (const stats of Object.values(m.partitionToWriteStats)) {
        for (const s of stats) {
          totalWriteBytes += s.totalWriteBytes;
          totalRecords += s.numWrites;
        }
      }
      return { totalWriteBytes, totalRecords };
    });
}
