/**
 * Keys a write leaves in two partitions. With Hudi's default, non-global index a record key is unique
 * only within its partition: a record whose partition value changed (an event moved to the next
 * day) is inserted into the new partition while its old copy stays in the old one, and readers see
 * both. Hudi says nothing; Tidemark counts such keys for every write into a partitioned table, so
 * the commit result, the run's counts and `status` can say so (`target.index: 'global'` moves the
 * record instead).
 *
 * Only inserted keys can become duplicates (an update stays in its partition). Their stored copies
 * in the partitions the write touched were already found while classifying (`WritePlan.storedMatches`);
 * the other partitions' files are read for the key column only, filtered to the inserted keys and
 * their range, so row groups are skipped by their key statistics (new ids above the stored ones read
 * almost nothing).
 */
import path from 'node:path';
import type { DuckSession } from '../../storage/duckdb/session.ts';
import { sqlIdent, sqlString, sqlStringList } from '../../storage/duckdb/sql.ts';
import type { Schema } from '../../table/schema.ts';
import type { TableConfig } from '../../table/table-config.ts';
import { type TableState, visibleSlices } from '../load/table-state.ts';
import type { WritePlan } from './write-plan.ts';
import { integerKeyColumn } from './classify.ts';
import { WC } from './working-columns.ts';

/** The commit's `extraMetadata` key that holds the count, when it is not 0. */
export const KEYS_IN_TWO_PARTITIONS = 'tidemark.keys_in_two_partitions';

/**
 * How many distinct keys this write inserts into a partition while another partition holds the same
 * key after the commit (stored there and not deleted by this write, or inserted there by it too).
 * 0 for an unpartitioned table, an overwrite, or a write that inserts nothing.
 */
export async function countKeysInTwoPartitions(
  duck: DuckSession,
  state: TableState | undefined,
  config: TableConfig,
  schema: Schema,
  plan: WritePlan,
  prefix: string,
): Promise<number> {
  if (config.partitionFields.length === 0 || plan.inserted === 0) return 0;
  const intKey = integerKeyColumn(config, schema);
  // Stored and inserted keys meet as the stored matches hold them: the integer key column, or the text.
  const insertedKey = intKey === undefined ? WC.rk : `CAST(${WC.rk} AS BIGINT)`;
  const others = state === undefined ? [] : visibleSlices(state).filter((s) => !plan.lookedUp.has(s.partitionPath));
  if (plan.storedMatches === undefined && others.length === 0) {
    // Nothing stored to meet (a first write, say): only keys the batch inserts into two partitions at once.
    const [n] = await duck.column<bigint>(`SELECT count(*) FROM (SELECT ${insertedKey} FROM ${plan.insertKeys} GROUP BY 1 HAVING count(DISTINCT ${WC.pp}) > 1)`);
    return Number(n ?? 0);
  }
  const inserted = `${prefix}dupins`;
  await duck.run(`CREATE TABLE ${inserted} AS SELECT DISTINCT ${insertedKey} AS rk, ${WC.pp} AS pp FROM ${plan.insertKeys}`);
  const stored: string[] = [];
  if (plan.storedMatches !== undefined) stored.push(`SELECT rk, pp FROM ${plan.storedMatches}`);
  const [range] = await duck.rows(`SELECT min(rk) AS lo, max(rk) AS hi FROM ${inserted}`);
  if (others.length > 0 && range?.lo !== null && range?.lo !== undefined) {
    // A constant range lets the Parquet reader skip row groups (and files) by their key statistics.
    // (A key with a NUL character cannot be a SQL literal: such a range is left to the join.)
    const literal = (v: unknown): string => (intKey === undefined ? sqlString(String(v)) : String(v));
    const bounded = intKey !== undefined || !`${String(range.lo)}${String(range.hi)}`.includes('\u0000');
    const files = others.map((s) => path.join(state!.basePath, s.baseFile.path));
    const map = others.map((s, i) => `(${i}, ${sqlString(s.partitionPath)})`).join(', ');
    const key = intKey === undefined ? 'e._hoodie_record_key' : `e.${sqlIdent(intKey)}`;
    stored.push(`SELECT ${key} AS rk, f.pp AS pp
      FROM read_parquet(${sqlStringList(files)}, union_by_name = true, hive_partitioning = false) e
      JOIN (VALUES ${map}) f(fg, pp) ON e.file_index = f.fg
      WHERE ${bounded ? `${key} BETWEEN ${literal(range.lo)} AND ${literal(range.hi)} AND ` : ''}${key} IN (SELECT rk FROM ${inserted})`);
  }
  // Copies this write deletes are gone after it (a delete in one partition and an insert in another).
  const deleted = plan.changes === undefined ? undefined : `SELECT ${insertedKey} AS rk, ${WC.pp} AS pp FROM ${plan.changes} WHERE ${WC.kind} = 'delete'`;
  const before = stored.length === 0 ? undefined : `(${stored.join(' UNION ALL ')})${deleted === undefined ? '' : ` EXCEPT (${deleted})`}`;
  const after = before === undefined ? `SELECT rk, pp FROM ${inserted}` : `SELECT rk, pp FROM ${inserted} UNION (${before})`;
  const [n] = await duck.column<bigint>(`SELECT count(*) FROM (SELECT rk FROM (${after}) WHERE rk IN (SELECT rk FROM ${inserted}) GROUP BY rk HAVING count(DISTINCT pp) > 1)`);
  return Number(n ?? 0);
}
