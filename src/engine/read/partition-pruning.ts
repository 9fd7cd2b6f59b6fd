/**
 * Partition pruning for a row filter written in SQL. DuckDB's own parser splits the filter into its
 * top-level AND terms; each term that binds using only partition columns is evaluated on the
 * partition values (typed by the table schema), and a partition is skipped only when some term is
 * not true for it. Terms touching other columns are left to the row filter, so pruning never changes
 * a result, it only saves reading files.
 */
import { sqlIdent, sqlString } from '../../storage/duckdb/sql.ts';
import type { DuckSession } from '../../storage/duckdb/session.ts';
import { DEFAULT_PARTITION, partitionValuesOf } from '../../table/partition-path.ts';
import { duckdbTypeSql } from '../../table/schema.ts';
import { type TableState, tableSchema } from '../load/table-state.ts';

/**
 * Whether `predicate` may name a partition column, so pruning could help: false only when no word
 * or quoted identifier in it is a partition field's name (case-insensitive, as DuckDB binds them).
 * Cheap and conservative: a string literal that spells a field's name also counts.
 */
export function mayPrune(state: TableState, predicate: string): boolean {
  const fields = new Set(state.config.partitionFields.map((f) => f.toLowerCase()));
  if (fields.size === 0 || predicate.trim() === '') return false;
  for (const m of predicate.matchAll(/"((?:[^"]|"")*)"|[\p{L}_][\p{L}\p{N}_$]*/gu)) {
    const name = m[1] === undefined ? m[0] : m[1].replaceAll('""', '"');
    if (fields.has(name.toLowerCase())) return true;
  }
  return false;
}

/** The top-level AND terms of a predicate, as SQL; empty when it does not parse. */
export async function conjunctsOf(duck: DuckSession, predicate: string): Promise<string[]> {
  const [row] = await duck.rows(`SELECT json_serialize_sql(${sqlString(`SELECT 1 WHERE ${predicate}`)}) AS j`);
  // Unsigned 64-bit numbers in the AST (query locations) exceed what JSON.parse keeps exactly.
  const ast = JSON.parse(String(row!.j).replace(/:(\d{16,})/g, ':"__u64:$1"')) as {
    error: boolean;
    statements: Array<{ node: { where_clause: { class: string; type: string; children?: unknown[] } | null } }>;
  };
  const where = ast.error ? null : ast.statements[0]?.node.where_clause;
  if (where === null || where === undefined) return [];
  const terms = where.class === 'CONJUNCTION' && where.type === 'CONJUNCTION_AND' ? (where.children ?? []) : [where];
  const out: string[] = [];
  for (const term of terms) {
    const single = structuredClone(ast);
    single.statements[0]!.node.where_clause = term as typeof where;
    const json = JSON.stringify(single).replace(/"__u64:(\d+)"/g, '$1');
    const [back] = await duck.rows(`SELECT json_deserialize_sql(${sqlString(json)}::JSON) AS s`);
    out.push(String(back!.s).replace(/^SELECT 1 WHERE /, ''));
  }
  return out;
}

/**
 * The partitions among `partitionPaths` that may hold rows passing `predicate`, or undefined when
 * the table's partition paths do not map to column values (time-based keys) or nothing prunes.
 */
export async function prunePartitions(duck: DuckSession, state: TableState, predicate: string, partitionPaths: ReadonlyArray<string>): Promise<Set<string> | undefined> {
  const { config } = state;
  if (config.partitionFields.length === 0 || (config.keyGenerator !== 'simple' && config.keyGenerator !== 'complex') || partitionPaths.length === 0) {
    return undefined;
  }
  const types = new Map((tableSchema(state) ?? []).map((f) => [f.name, f.type]));
  const options = { hiveStyle: config.hiveStylePartitioning, urlEncode: config.urlEncodePartitions };
  // A path whose levels are not one per field (a value holding `/` in a table without URL
  // encoding) cannot be mapped back to its values: no pruning.
  if (partitionPaths.some((pp) => pp.split('/').length !== config.partitionFields.length)) return undefined;
  const rows = partitionPaths.flatMap((pp) =>
    candidateValues(partitionValuesOf(pp, config.partitionFields, options)).map((values) => `(${[pp, ...values].map((v) => (v === null ? 'NULL' : sqlString(v))).join(', ')})`),
  );
  const cols = config.partitionFields.map((f, i) => {
    const type = types.get(f);
    return `${type === undefined ? `v${i}` : `TRY_CAST(v${i} AS ${duckdbTypeSql(type)})`} AS ${sqlIdent(f)}`;
  });
  const relation = `(SELECT pp, ${cols.join(', ')} FROM (VALUES ${rows.join(', ')}) t(pp, ${config.partitionFields.map((_, i) => `v${i}`).join(', ')}))`;
  let keep: Set<string> | undefined;
  for (const term of await conjunctsOf(duck, predicate)) {
    let passing: string[];
    try {
      passing = await duck.column<string>(`SELECT pp FROM ${relation} WHERE ${term}`);
    } catch {
      continue; // the term names non-partition columns: the row filter decides
    }
    keep = new Set(passing.filter((p) => keep === undefined || keep.has(p)));
  }
  return keep;
}

/**
 * The values a partition's rows may hold: its own, except that the default partition holds rows
 * whose value is NULL, `''` or the text `__HIVE_DEFAULT_PARTITION__` (all three write to it), so a
 * default level stands for each of them and the partition is kept if any passes.
 */
function candidateValues(values: ReadonlyArray<string | null>): Array<Array<string | null>> {
  let out: Array<Array<string | null>> = [[]];
  for (const v of values) {
    const options = v === null ? [null, '', DEFAULT_PARTITION] : [v];
    out = out.flatMap((prefix) => options.map((o) => [...prefix, o]));
  }
  return out;
}
