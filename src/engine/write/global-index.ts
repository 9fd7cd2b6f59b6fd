/**
 * A global index for upserts (Hudi's GLOBAL_SIMPLE index with `hoodie.simple.index.update.partition.path`):
 * a record key is unique across the table's partitions. An incoming record whose stored copy is in
 * another partition moves: the batch gets a delete of the stored copy in its old partition, in the
 * same commit as the record's insert into the new one. An incoming record older (by the ordering
 * field) than a stored copy in another partition is skipped, as an older record in its own
 * partition is.
 *
 * Like Hudi's simple index, it reads the record key, partition path, key fields and ordering field
 * of the latest snapshot (a projection), keeping the records whose key is in the batch, so a global
 * upsert costs a scan of those columns. The default index is Hudi's non-global one (keys unique within a
 * partition), which needs no such scan.
 */
import { sqlIdent } from '../../storage/duckdb/sql.ts';
import type { DuckSession } from '../../storage/duckdb/session.ts';
import type { BatchProfile } from './conform.ts';
import { readSql } from '../read/read.ts';
import type { TableState } from '../load/table-state.ts';
import { WC } from './working-columns.ts';

/** What moving records across partitions did to a batch. */
export interface GlobalIndexResult {
  /** The batch to plan instead: the incoming rows, less the skipped ones, plus the deletes of moved records. */
  readonly profile: BatchProfile;
  /** Records whose partition changed: deleted in the old partition, written in the new one. */
  readonly moved: number;
  /** Incoming rows dropped because a stored copy in another partition is newer. */
  readonly skippedAsOlder: number;
}

/**
 * Applies the global index to a conformed batch (`profile.relation`, with `__tm_rk`, `__tm_pp`,
 * `__tm_del`, `__tm_row`) of an upsert into the table `state`. Creates `${prefix}global`.
 */
export async function applyGlobalIndex(duck: DuckSession, state: TableState, profile: BatchProfile, prefix: string): Promise<GlobalIndexResult> {
  if (state.config.partitionFields.length === 0) return { profile, moved: 0, skippedAsOlder: 0 };
  const batch = profile.relation;
  const ordering = state.config.precombineField;
  const ord = ordering === undefined ? undefined : sqlIdent(ordering);
  const stored = `${prefix}gstored`;
  const columns = (await duck.describe(`SELECT * FROM ${batch}`)).names;
  const keyed = new Set([...state.config.recordKeyFields, ...state.config.partitionFields]);
  // The stored copies of the batch's keys: only what locating and deleting them takes is read.
  const read = readSql(state, { columns: ['_hoodie_record_key', '_hoodie_partition_path', ...new Set([...keyed, ...(ordering === undefined ? [] : [ordering])])] });
  const storedColumns = new Set((await duck.describe(read)).names);
  await duck.run(`CREATE OR REPLACE TABLE ${stored} AS
    SELECT s.* FROM (${read}) s
    WHERE s._hoodie_record_key IN (SELECT ${WC.rk} FROM ${batch})`);
  // The incoming version of each key that wins within the batch (the latest by ordering, then input order).
  const winners = `(SELECT * FROM ${batch} WHERE NOT ${WC.del} QUALIFY row_number() OVER (PARTITION BY ${WC.rk} ORDER BY ${ord === undefined ? '' : `${ord} DESC, `}${WC.row} DESC) = 1)`;
  const newer = ord === undefined ? 'true' : `w.${ord} >= s.${ord}`;
  const older = ord === undefined ? 'false' : `s.${ord} > b.${ord}`;
  // Rows of a key that a newer copy in another partition outranks are skipped.
  const skipped = `(SELECT DISTINCT b.${WC.row} FROM ${batch} b JOIN ${stored} s ON s._hoodie_record_key = b.${WC.rk} AND s._hoodie_partition_path <> b.${WC.pp} WHERE NOT b.${WC.del} AND ${older})`;
  const value = (c: string): string => {
    if (c === WC.rk) return 's._hoodie_record_key';
    if (c === WC.pp) return 's._hoodie_partition_path';
    if (c === WC.del) return 'true';
    if (c === WC.row) return '-1 - row_number() OVER ()';
    // The delete carries the incoming ordering value, so it is not older than the copy it removes.
    if (c === ordering) return `w.${sqlIdent(c)}`;
    // A delete needs its key and partition; its other values are never written.
    return keyed.has(c) && storedColumns.has(c) ? `s.${sqlIdent(c)}` : 'NULL';
  };
  // The stored copies to delete: of keys whose winning version is in another partition (a move),
  // and of keys the batch deletes in another partition (a delete applies wherever the key is).
  const deletes = `(SELECT * FROM ${batch} WHERE ${WC.del} QUALIFY row_number() OVER (PARTITION BY ${WC.rk} ORDER BY ${WC.row} DESC) = 1)`;
  const select = columns.map((c) => `${value(c)} AS ${sqlIdent(c)}`).join(', ');
  const moves = `SELECT ${select} FROM ${stored} s JOIN ${winners} w ON s._hoodie_record_key = w.${WC.rk} AND s._hoodie_partition_path <> w.${WC.pp} WHERE ${newer}
    UNION ALL BY NAME
    SELECT ${select} FROM ${stored} s JOIN ${deletes} w ON s._hoodie_record_key = w.${WC.rk} AND s._hoodie_partition_path <> w.${WC.pp}`;
  const target = `${prefix}global`;
  // Keys are unique across partitions: of a key's incoming versions only the winner stays (the
  // write plan would otherwise keep one per partition), with the batch's deletes.
  await duck.run(`CREATE OR REPLACE TABLE ${target} AS
    SELECT * FROM ${batch} b WHERE (b.${WC.del} OR b.${WC.row} IN (SELECT ${WC.row} FROM ${winners})) AND b.${WC.row} NOT IN ${skipped}
    UNION ALL BY NAME (${moves})`);
  const [counts] = await duck.rows(`SELECT (SELECT count(*) FROM ${target} WHERE ${WC.row} < 0 AND ${WC.rk} IN (SELECT ${WC.rk} FROM ${winners})) AS moved, (SELECT count(*) FROM ${skipped}) AS skipped`);
  const partitions = (await duck.rows(`SELECT ${WC.pp} AS pp, count(*) AS n, count(*) FILTER (WHERE ${WC.del}) AS d FROM ${target} GROUP BY ALL ORDER BY ALL`)).map((r) => ({
    partitionPath: String(r.pp),
    rows: Number(r.n),
    deletes: Number(r.d),
  }));
  await duck.run(`DROP TABLE IF EXISTS ${stored}`);
  return {
    profile: { partitions, rows: partitions.reduce((n, p) => n + p.rows, 0), mayHaveDuplicates: true, relation: target },
    moved: Number(counts?.moved ?? 0),
    skippedAsOlder: Number(counts?.skipped ?? 0),
  };
}
