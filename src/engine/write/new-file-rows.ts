/**
 * The SQL of a commit's new base files' rows (`rowsSql`: stored rows kept, updates and inserts
 * taken, with Hudi's meta columns) and what it needs of the stored files it rewrites: their rows
 * and columns, from the plan's prefetched footers when it has them, else from DuckDB.
 */
import { TableFormatError, messageOf } from '../../errors.ts';
import type { DuckSession } from '../../storage/duckdb/session.ts';
import { sqlIdent, sqlString, sqlStringList } from '../../storage/duckdb/sql.ts';
import { type Field, type Schema, duckdbTypeSql } from '../../table/schema.ts';
import type { StoredFooter } from './footer-keys.ts';
import type { TargetGroup, WritePlan } from './write-plan.ts';
import { WC } from './working-columns.ts';

/**
 * The footers the plan read of these stored files, when it read every one of them and each was
 * readable; undefined otherwise (DuckDB is asked instead, and reports what is wrong with a file).
 */
async function prefetched(footers: ReadonlyMap<string, Promise<StoredFooter | undefined>>, files: ReadonlyArray<string>): Promise<StoredFooter[] | undefined> {
  if (!files.every((f) => footers.has(f))) return undefined;
  const read = await Promise.all(files.map((f) => footers.get(f)!));
  return read.every((f) => f !== undefined) ? (read as StoredFooter[]) : undefined;
}

/** Row counts of the stored files (from their footers: the plan's, or DuckDB's cached ones). */
export async function storedRows(duck: DuckSession, footers: ReadonlyMap<string, Promise<StoredFooter | undefined>>, files: ReadonlyArray<string>): Promise<Map<string, number>> {
  if (files.length === 0) return new Map();
  const known = await prefetched(footers, files);
  if (known !== undefined) return new Map(files.map((f, i) => [f, known[i]!.rows]));
  let rows: Record<string, unknown>[];
  try {
    rows = await duck.rows(`SELECT file_name AS f, num_rows AS n FROM parquet_file_metadata(${sqlStringList(files)})`);
  } catch (error) {
    throw new TableFormatError(`cannot read the base files rewritten: ${messageOf(error)}`, { file: files[0], cause: error });
  }
  return new Map(rows.map((r) => [String(r.f), Number(r.n)]));
}

/** The columns the rewritten files hold (between them). */
export async function storedColumns(args: { readonly duck: DuckSession; readonly plan: WritePlan; readonly table: string }, oldFiles: ReadonlyArray<string>): Promise<Set<string>> {
  if (oldFiles.length === 0) return new Set();
  const known = await prefetched(args.plan.storedFooters, oldFiles);
  if (known !== undefined) return new Set(known.flatMap((f) => f.columns));
  try {
    return new Set((await args.duck.describe(`SELECT * FROM ${storedSql(oldFiles)}`)).names);
  } catch (error) {
    throw new TableFormatError(`cannot read the base files rewritten in table ${args.table}: ${messageOf(error)}`, { table: args.table, file: oldFiles[0], cause: error });
  }
}

/** The stored files as one relation, with each row's file index and row number. */
export function storedSql(oldFiles: ReadonlyArray<string>): string {
  return `read_parquet(${sqlStringList(oldFiles)}, file_row_number = true, union_by_name = true, hive_partitioning = false)`;
}

/**
 * The rows of the new files, with `__tm_fg`: the rewritten groups' stored rows that no incoming
 * record updates or deletes, then the incoming records they take (updates and inserts); only the
 * groups of `subset` when given.
 */
export function rowsSql(
  args: { readonly plan: WritePlan; readonly schema: Schema; readonly instant: string; readonly fileNames: ReadonlyArray<string> },
  groupTable: string,
  bases: ReadonlyMap<number, number>,
  subset: ReadonlyArray<TargetGroup> | undefined,
  oldFiles: ReadonlyArray<string>,
  present: ReadonlySet<string>,
): string {
  const { plan, schema } = args;
  const t = sqlString(args.instant);
  const seqno = (task: string, row: string): string => `${t} || '_' || ${task} || '_' || ${row}`;
  const data = (expr: (f: Field) => string): string => schema.map((f) => `${expr(f)} AS ${sqlIdent(f.name)}`).join(', ');
  const inSubset = subset === undefined ? '' : ` IN (${subset.map((g) => g.index).join(', ')})`;
  // One group: its values are constants (no join), and its one stored file needs no union.
  const only = subset?.length === 1 ? subset[0]! : undefined;
  const i = only === undefined ? -1 : plan.groups.indexOf(only);
  const g =
    only === undefined
      ? { pp: 'g.pp', name: 'g.file_name', task: 'g.task', fg: 'g.fg', base: 'g.base' }
      : { pp: sqlString(only.partitionPath), name: sqlString(args.fileNames[i]!), task: String(i), fg: String(only.index), base: String(bases.get(only.index)!) };
  const groups = subset === undefined ? groupTable : `(SELECT * FROM ${groupTable} WHERE fg${inSubset})`;
  const branches: string[] = [];
  if (oldFiles.length > 0) {
    // Columns added after a file was written read as NULL (union_by_name does that across files).
    const stored = (f: Field): string => `CAST(${present.has(f.name) ? `o.${sqlIdent(f.name)}` : 'NULL'} AS ${duckdbTypeSql(f.type)})`;
    const from =
      only === undefined
        ? // Stored rows find their group by their file's position in the list (an integer join).
          `${storedSql(oldFiles)} o JOIN (SELECT m.fi, g.* FROM (VALUES ${oldFiles.map((f, k) => `(${k}, ${sqlString(f)})`).join(', ')}) m(fi, path) JOIN ${groups} g ON g.path = m.path) g ON g.fi = o.file_index`
        : `read_parquet(${sqlString(oldFiles[0]!)}, file_row_number = true, hive_partitioning = false) o`;
    // Stored rows that no incoming record updates or deletes are kept as they are (an anti-join
    // emits only the stored columns; a LEFT JOIN choosing each column measured a few % slower).
    const inGroups = subset === undefined ? '' : ` AND c.${WC.fg}${inSubset}`;
    const replaced =
      plan.changes === undefined
        ? ''
        : `ANTI JOIN (SELECT c.${WC.fg}, c.${WC.pos} FROM ${plan.changes} c WHERE c.${WC.kind} IN ('update', 'delete')${inGroups}) u ON u.${WC.fg} = ${g.fg} AND u.${WC.pos} = o.file_row_number`;
    branches.push(`SELECT o._hoodie_commit_time AS _hoodie_commit_time, o._hoodie_commit_seqno AS _hoodie_commit_seqno,
        o._hoodie_record_key AS _hoodie_record_key, ${g.pp} AS _hoodie_partition_path, ${g.name} AS _hoodie_file_name,
        ${data(stored)}, ${g.fg} AS ${WC.fg}
      FROM ${from} ${replaced}`);
  }
  if (plan.changes !== undefined) {
    // The incoming records the groups take, updates and inserts alike, in one join with the batch (it
    // is read once per COPY): an update once per stored copy it replaces, with that copy's position
    // in its seqno; an insert numbered after the stored file's rows.
    const inGroups = subset === undefined ? '' : `${WC.fg}${inSubset}`;
    const taken = `SELECT ${WC.row}, ${WC.rk}, ${WC.fg}, ${WC.pos} FROM ${plan.changes} WHERE ${WC.kind} = 'update'${inGroups === '' ? '' : ` AND ${inGroups}`}
        UNION ALL SELECT ${WC.row}, ${WC.rk}, ${WC.fg}, NULL FROM ${plan.insertKeys}${inGroups === '' ? '' : ` WHERE ${inGroups}`}`;
    branches.push(`SELECT ${t} AS _hoodie_commit_time, ${seqno(g.task, `coalesce(c.${WC.pos}, ${g.base} + c.${WC.row})`)} AS _hoodie_commit_seqno, c.${WC.rk} AS _hoodie_record_key,
        ${g.pp} AS _hoodie_partition_path, ${g.name} AS _hoodie_file_name, ${data((f) => `b.${sqlIdent(f.name)}`)}, ${g.fg} AS ${WC.fg}
      FROM (${taken}) c JOIN ${plan.batch} b ON b.${WC.row} = c.${WC.row} ${only === undefined ? `JOIN ${groups} g ON g.fg = c.${WC.fg}` : ''}`);
  } else {
    // Without a lookup every incoming record is an insert: streamed from the batch.
    branches.push(`SELECT ${t} AS _hoodie_commit_time, ${seqno(g.task, `(${g.base} + i.${WC.row})`)} AS _hoodie_commit_seqno, i.${WC.rk} AS _hoodie_record_key,
        ${g.pp} AS _hoodie_partition_path, ${g.name} AS _hoodie_file_name, ${data((f) => `i.${sqlIdent(f.name)}`)}, ${g.fg} AS ${WC.fg}
      FROM ${plan.inserts} i ${only === undefined ? `JOIN ${groups} g ON g.fg = i.${WC.fg}` : `WHERE i.${WC.fg} = ${only.index}`}`);
  }
  return branches.join('\nUNION ALL\n');
}
