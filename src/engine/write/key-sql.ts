/**
 * Record keys and partition paths computed in SQL, so a batch never crosses into JavaScript row by
 * row. The rules are Hudi's key generators' (SimpleKeyGenerator, ComplexKeyGenerator, NonpartitionedKeyGenerator; format notes §8, shared/reference/hudi-format.md, outside this repository). Partition paths are escaped in
 * JavaScript by the pure `partition-path` module, once per distinct partition value, not per row.
 */
import { sqlIdent, sqlString } from '../../storage/duckdb/sql.ts';
import { DEFAULT_PARTITION } from '../../table/partition-path.ts';
import type { ColumnType } from '../../table/schema.ts';
import type { TableConfig } from '../../table/table-config.ts';

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

/**
 * Each partition field's value as the path shows it before escaping: the rendered value, NULL when
 * null or empty (those go to the default partition).
 */
export function partitionValueSql(config: TableConfig, types: ReadonlyMap<string, ColumnType>): string[] {
  return config.partitionFields.map((f) => `nullif(${renderValueSql(f, types.get(f))}, '')`);
}

/**
 * `_hoodie_partition_path` from the columns holding `partitionValueSql`'s values, without URL
 * escaping: exact whenever no value has a character to escape (the caller checks the distinct
 * values in JavaScript, `partitionPathOf` being the one definition of the escaping). `''` when
 * unpartitioned.
 */
export function plainPartitionPathSql(config: TableConfig, valueColumns: ReadonlyArray<string>): string {
  if (config.partitionFields.length === 0) return `''`;
  const parts = config.partitionFields.map((f, i) => {
    const value = `coalesce(${valueColumns[i]!}, ${sqlString(DEFAULT_PARTITION)})`;
    return config.hiveStylePartitioning ? `${sqlString(`${f}=`)} || ${value}` : value;
  });
  return parts.join(` || '/' || `);
}
