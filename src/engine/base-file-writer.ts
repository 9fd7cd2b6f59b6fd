/**
 * Writing one new file slice: the group's previous rows (carried over with their commit time and
 * seqno, or replaced in place, or dropped when deleted), then its inserts; the five meta columns
 * first; Hudi's footer keys (min/max record key, DYNAMIC_V0 bloom filter) computed from the rows
 * about to be written; zstd Parquet.
 */
import path from 'node:path';
import { TableFormatError, messageOf } from '../errors.ts';
import type { DuckSession } from '../storage/duckdb/session.ts';
import { sqlIdent, sqlString } from '../storage/duckdb/sql.ts';
import { BLOOM_TYPE_CODE, DynamicBloomFilter } from '../table/bloom-filter.ts';
import { duckdbTypeSql, type Schema } from '../table/schema.ts';
import type { TargetGroup, WritePlan } from './write-plan.ts';

/** What the file writer reports back for the commit's write stats. */
export interface WrittenFile {
  readonly group: TargetGroup;
  readonly fileName: string;
  /** Relative to the table base path. */
  readonly path: string;
  readonly rows: number;
  readonly bytes: number;
}

export interface FileWriteArgs {
  readonly duck: DuckSession;
  readonly basePath: string;
  readonly table: string;
  readonly plan: WritePlan;
  readonly group: TargetGroup;
  readonly schema: Schema;
  readonly instant: string;
  readonly taskId: number;
  readonly fileName: string;
  readonly prefix: string;
  readonly sizeOf: (file: string) => Promise<number>;
}

/** Rows of the new slice as SELECT branches, in output order (`__tm_o1`, `__tm_o2`). */
async function sliceRowsSql(args: FileWriteArgs): Promise<string> {
  const { duck, basePath, plan, group, schema, instant } = args;
  const t = sqlString(instant);
  const branches: string[] = [];
  const data = (from: (name: string) => string): string =>
    schema.map((f) => `CAST(${from(f.name)} AS ${duckdbTypeSql(f.type)}) AS ${sqlIdent(f.name)}`).join(', ');
  const fromChange = (name: string): string => sqlIdent(name);
  if (group.previous !== undefined) {
    const oldFile = sqlString(path.join(basePath, group.previous.path));
    const source = `read_parquet(${oldFile}, file_row_number = true, hive_partitioning = false)`;
    let present: Set<string>;
    try {
      present = new Set((await duck.describe(`SELECT * FROM ${source}`)).names);
    } catch (error) {
      throw new TableFormatError(`cannot read base file ${group.previous.path} of table ${args.table}: ${messageOf(error)}`, {
        table: args.table,
        file: path.join(basePath, group.previous.path),
        cause: error,
      });
    }
    const fromOld = (name: string): string => (present.has(name) ? `o.${sqlIdent(name)}` : 'NULL');
    branches.push(`SELECT o._hoodie_commit_time AS ct, o._hoodie_commit_seqno AS sq, o._hoodie_record_key AS rk, ${data(fromOld)}, 0 AS __tm_o1, o.file_row_number AS __tm_o2
      FROM ${source} o
      ANTI JOIN (SELECT __tm_rk, __tm_pos FROM ${plan.changes} WHERE __tm_fg = ${group.index} AND __tm_kind IN ('update', 'delete')) x
        ON o._hoodie_record_key = x.__tm_rk AND o.file_row_number = x.__tm_pos`);
    branches.push(`SELECT ${t} AS ct, NULL AS sq, __tm_rk AS rk, ${data(fromChange)}, 0 AS __tm_o1, __tm_pos AS __tm_o2 FROM ${plan.changes} WHERE __tm_fg = ${group.index} AND __tm_kind = 'update'`);
  }
  branches.push(`SELECT ${t} AS ct, CAST(NULL AS VARCHAR) AS sq, __tm_rk AS rk, ${data(fromChange)}, 1 AS __tm_o1, __tm_irn AS __tm_o2 FROM ${plan.inserts} WHERE __tm_fg = ${group.index}`);
  return branches.join('\nUNION ALL\n');
}

/** Writes the group's new base file and returns its stats. */
export async function writeBaseFile(args: FileWriteArgs): Promise<WrittenFile> {
  const { duck, basePath, group, instant, taskId, fileName } = args;
  const rel = group.partitionPath === '' ? fileName : `${group.partitionPath}/${fileName}`;
  const abs = path.join(basePath, rel);
  const slice = `${args.prefix}slice${group.index}`;
  const seq = `${sqlString(`${instant}_${taskId}_`)} || CAST(row_number() OVER (ORDER BY __tm_o1, __tm_o2) - 1 AS VARCHAR)`;
  await duck.run(`CREATE TABLE ${slice} AS
    SELECT ct AS _hoodie_commit_time, coalesce(sq, ${seq}) AS _hoodie_commit_seqno, rk AS _hoodie_record_key,
           ${sqlString(group.partitionPath)} AS _hoodie_partition_path, ${sqlString(fileName)} AS _hoodie_file_name,
           * EXCLUDE (ct, sq, rk)
    FROM (${await sliceRowsSql(args)})`);
  try {
    const keys = await duck.column<string>(`SELECT _hoodie_record_key FROM ${slice} ORDER BY __tm_o1, __tm_o2`);
    const bloom = DynamicBloomFilter.create();
    let min: string | undefined;
    let max: string | undefined;
    for (const k of keys) {
      bloom.add(k);
      if (min === undefined || k < min) min = k;
      if (max === undefined || k > max) max = k;
    }
    const kv = [
      ...(min === undefined ? [] : [`hoodie_min_record_key: ${sqlString(min)}`, `hoodie_max_record_key: ${sqlString(max!)}`]),
      `'org.apache.hudi.bloomfilter': ${sqlString(bloom.toBase64())}`,
      `hoodie_bloom_filter_type_code: ${sqlString(BLOOM_TYPE_CODE)}`,
    ];
    await duck.run(`COPY (SELECT * EXCLUDE (__tm_o1, __tm_o2) FROM ${slice} ORDER BY __tm_o1, __tm_o2)
      TO ${sqlString(abs)} (FORMAT parquet, COMPRESSION zstd, KV_METADATA {${kv.join(', ')}})`);
    return { group, fileName, path: rel, rows: keys.length, bytes: await args.sizeOf(abs) };
  } finally {
    await duck.run(`DROP TABLE IF EXISTS ${slice}`);
  }
}
