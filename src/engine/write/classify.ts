/**
 * Where an incoming record meets its stored copy, and what happens to it: `classify` builds a
 * write's changes table (insert, update, delete, older, absent; see `write-plan.ts`), matching on
 * the record key or on the integer column that renders it (`integerKeyColumn`); `markUnchanged`
 * turns updates equal to their stored copy into `unchanged`.
 */
import type { DuckSession } from '../../storage/duckdb/session.ts';
import { sqlIdent, sqlString, sqlStringList } from '../../storage/duckdb/sql.ts';
import type { FileSlice } from '../../table/file-slice.ts';
import type { Schema } from '../../table/schema.ts';
import type { TableConfig } from '../../table/table-config.ts';
import type { WriteOperation } from './operations.ts';
import { WC } from './working-columns.ts';

const INTEGER_KINDS = new Set(['int8', 'int16', 'int32', 'int64']);

/**
 * The column stored records can be matched on instead of `_hoodie_record_key`: the one key field,
 * when it is an integer and the key generator writes it as its plain rendering (simple and
 * non-partitioned keys: its decimal digits), so equal values are equal keys. Joining integers is
 * cheaper than joining their renderings; undefined otherwise. (Hudi's complex key generator has
 * written a single key field both as `field:value` and as the bare value, depending on version
 * and settings, so such tables are matched on the stored key text.)
 */
export function integerKeyColumn(config: TableConfig, schema: Schema | undefined): string | undefined {
  const [only, ...more] = config.recordKeyFields;
  if (only === undefined || more.length > 0) return undefined;
  if (config.keyGenerator !== 'simple' && config.keyGenerator !== 'nonpartitioned') return undefined;
  const kind = schema?.find((f) => f.name === only)?.type.kind;
  return kind !== undefined && INTEGER_KINDS.has(kind) ? only : undefined;
}

/**
 * Upserts and deletes: reads only record key, ordering value and row position of the candidate
 * files' rows whose key is in the batch, and classifies every batch record against them into
 * `changes`, which holds keys and positions only (the records' columns stay in the batch, joined
 * back by `__tm_row`: copying them costs more than reading them again). `files` are the candidates'
 * absolute paths (index = `__tm_fg`). Returns the table of stored matches, if it made one.
 */
export async function classify(
  duck: DuckSession,
  args: { readonly operation: WriteOperation; readonly config: TableConfig; readonly schema?: Schema | undefined },
  source: string,
  changes: string,
  candidates: ReadonlyArray<FileSlice>,
  files: ReadonlyArray<string>,
  ord: string | undefined,
): Promise<string | undefined> {
  const { operation } = args;
  // Stored and incoming records meet on the record key, or on the integer key column that renders it.
  const intKey = integerKeyColumn(args.config, args.schema);
  const [storedKey, incomingKey] = intKey === undefined ? ['e._hoodie_record_key', WC.rk] : [`e.${sqlIdent(intKey)}`, sqlIdent(intKey)];
  let existing: string;
  if (candidates.length > 0) {
    // Each file's partition, by its position in the list (`__tm_fg`).
    const map = candidates.map((s, i) => `(${i}, ${sqlString(s.partitionPath)})`).join(', ');
    // Kept (they are about as many as the batch): a key stored in another touched partition than the
    // one it is inserted into is a key the write leaves in two partitions (`partition-duplicates.ts`).
    existing = `${changes}_stored`;
    await duck.run(`CREATE TABLE ${existing} AS SELECT ${storedKey} AS rk, ${ord === undefined ? 'NULL' : `e.${ord}`} AS ord, e.file_row_number AS pos, f.fg AS fg, f.pp AS pp
      FROM read_parquet(${sqlStringList(files)}, file_row_number = true, union_by_name = true, hive_partitioning = false) e
      JOIN (VALUES ${map}) f(fg, pp) ON e.file_index = f.fg
      WHERE ${storedKey} IN (SELECT ${incomingKey} FROM ${source})`);
  } else {
    // Typed like the batch's key and ordering columns, so comparisons bind the same as with stored rows.
    existing = `(SELECT ${incomingKey} AS rk, ${ord === undefined ? 'NULL' : ord} AS ord, NULL::BIGINT AS pos, NULL::INTEGER AS fg, NULL::VARCHAR AS pp FROM ${source} LIMIT 0)`;
  }
  const older = operation === 'upsert' && ord !== undefined ? `WHEN d.${ord} < e.ord THEN 'older'` : '';
  const kind = `CASE WHEN e.fg IS NULL THEN (CASE WHEN d.${WC.del} THEN 'absent' ELSE 'insert' END) ${older}
              WHEN d.${WC.del} THEN 'delete' ELSE 'update' END`;
  await duck.run(`CREATE TABLE ${changes} AS
    SELECT d.${WC.row}, d.${WC.rk}, d.${WC.pp}, e.fg AS ${WC.fg}, e.pos AS ${WC.pos}, ${kind} AS ${WC.kind}
    FROM ${source} d LEFT JOIN ${existing} e ON e.rk = d.${incomingKey} AND e.pp = d.${WC.pp}`);
  return candidates.length > 0 ? existing : undefined;
}

/**
 * Re-classifies as `unchanged` the updates whose ordering value and every column equal the stored
 * copy, so replaying a window (a pipeline's lookback, a rerun) rewrites nothing. Reads the full rows
 * of only the matched positions.
 */
export async function markUnchanged(duck: DuckSession, changes: string, source: string, prefix: string, files: ReadonlyArray<string>, columns: ReadonlyArray<string>): Promise<number> {
  const stored = `read_parquet(${sqlStringList(files)}, file_row_number = true, union_by_name = true, hive_partitioning = false)`;
  const present = new Set((await duck.describe(`SELECT * FROM ${stored}`)).names);
  const same = columns.map((c) => (present.has(c) ? `b.${sqlIdent(c)} IS NOT DISTINCT FROM s.${sqlIdent(c)}` : `b.${sqlIdent(c)} IS NULL`));
  await duck.run(`CREATE TABLE ${prefix}same AS
    SELECT c.${WC.row} FROM ${changes} c
    JOIN ${source} b ON b.${WC.row} = c.${WC.row}
    JOIN ${stored} s ON s.file_index = c.${WC.fg} AND s.file_row_number = c.${WC.pos}
    WHERE c.${WC.kind} = 'update' AND ${same.length === 0 ? 'true' : same.join(' AND ')}`);
  await duck.run(`UPDATE ${changes} SET ${WC.kind} = 'unchanged' WHERE ${WC.row} IN (SELECT ${WC.row} FROM ${prefix}same)`);
  const [r] = await duck.rows(`SELECT count(*) AS n FROM ${prefix}same`);
  return Number(r!.n);
}
