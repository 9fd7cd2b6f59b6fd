/**
 * Record keys and partition paths computed in SQL, so a batch never crosses into JavaScript row by
 * row. The rules are Hudi's key generators' (format spec §8); the character list for partition
 * escaping comes from the pure `partition-path` module so the two cannot drift.
 */
import { sqlIdent, sqlString } from '../storage/duckdb/sql.ts';
import { DEFAULT_PARTITION, ESCAPED_PARTITION_CHARS, percentCode } from '../table/partition-path.ts';
import type { ColumnType } from '../table/schema.ts';
import type { TableConfig } from '../table/table-config.ts';

/** A column value rendered as Hudi renders key and partition values: dates `YYYY-MM-DD`, timestamps ISO UTC. */
export function renderValueSql(column: string, type: ColumnType | undefined): string {
  const ref = sqlIdent(column);
  if (type?.kind === 'timestamp') return `strftime(${ref}, '%Y-%m-%dT%H:%M:%S.%fZ')`;
  return `CAST(${ref} AS VARCHAR)`;
}

/** `_hoodie_record_key`: the value of a single key field, or `f1:v1,f2:v2` for several. */
export function recordKeySql(config: TableConfig, types: ReadonlyMap<string, ColumnType>): string {
  const fields = config.recordKeyFields;
  if (fields.length === 1) return renderValueSql(fields[0]!, types.get(fields[0]!));
  return fields.map((f, i) => `${sqlString(`${i === 0 ? '' : ','}${f}:`)} || ${renderValueSql(f, types.get(f))}`).join(' || ');
}

function escapeSql(expr: string): string {
  let out = expr;
  for (const ch of ESCAPED_PARTITION_CHARS) out = `replace(${out}, chr(${ch.charCodeAt(0)}), ${sqlString(percentCode(ch))})`;
  return out;
}

/** `_hoodie_partition_path`: `''` when unpartitioned. */
export function partitionPathSql(config: TableConfig, types: ReadonlyMap<string, ColumnType>): string {
  if (config.partitionFields.length === 0) return `''`;
  const parts = config.partitionFields.map((f) => {
    const raw = `nullif(${renderValueSql(f, types.get(f))}, '')`;
    const value = `coalesce(${config.urlEncodePartitions ? escapeSql(raw) : raw}, ${sqlString(DEFAULT_PARTITION)})`;
    return config.hiveStylePartitioning ? `${sqlString(`${f}=`)} || ${value}` : value;
  });
  return parts.join(` || '/' || `);
}
