/**
 * From a staged batch to a conformed one: the batch's columns checked against the table schema
 * (new nullable columns are added, widening changes applied, anything else refused), cast to the
 * table's types, with record key, partition path and delete marker computed, and its keys
 * validated. The conformed batch is a view, not a copy: one aggregate over it validates every row
 * (casts that can fail, keys, ordering values) and profiles it per partition. Nothing here touches
 * the table; a bad batch fails before the timeline changes.
 */
import { InvalidInputError, SchemaConflictError, messageOf } from '../errors.ts';
import type { Columns, DuckSession } from '../storage/duckdb/session.ts';
import { schemaFromColumns } from '../storage/duckdb/types.ts';
import { sqlIdent, sqlString } from '../storage/duckdb/sql.ts';
import { partitionPathOf } from '../table/partition-path.ts';
import { type ColumnType, type Field, type Schema, duckdbTypeSql, formatColumnType, isLossyPromotion, sameType, widenType } from '../table/schema.ts';
import type { TableConfig } from '../table/table-config.ts';
import { SOURCE_ROW, type StagedInput } from './input.ts';
import { partitionValueSql, plainPartitionPathSql, recordKeySql } from './key-sql.ts';

/** Hudi's meta columns, first in every base file. */
export const META_COLUMNS = ['_hoodie_commit_time', '_hoodie_commit_seqno', '_hoodie_record_key', '_hoodie_partition_path', '_hoodie_file_name'] as const;
/** An incoming column that marks a row as a delete (Hudi's convention); never stored. */
export const DELETE_MARKER = '_hoodie_is_deleted';

/** The schema a write produces, and what changed. */
export interface ResolvedSchema {
  readonly schema: Schema;
  readonly added: ReadonlyArray<string>;
  readonly widened: ReadonlyArray<string>;
}

/** Where the batch came from and what it writes to, for messages. */
export interface BatchContext {
  readonly table: string;
  readonly input: string;
  readonly file?: string;
}

/**
 * Merges the incoming schema into the table's. `keysOnly` (deletes) needs only key and partition
 * columns. Raises `SchemaConflictError` naming the column and both types.
 */
export function resolveSchema(config: TableConfig, table: Schema | undefined, incoming: Schema, keysOnly: boolean, ctx: BatchContext): ResolvedSchema {
  const byName = new Map(incoming.map((f) => [f.name, f]));
  const required = [...config.recordKeyFields, ...config.partitionFields, ...(!keysOnly && config.precombineField ? [config.precombineField] : [])];
  for (const name of required) {
    if (!byName.has(name)) {
      throw new InvalidInputError(`input ${ctx.input} has no column "${name}", which table ${ctx.table} needs (record key, partition or precombine field)`, {
        table: ctx.table,
        ...(ctx.file ? { file: ctx.file } : {}),
        value: name,
      });
    }
  }
  if (table === undefined) return { schema: incoming, added: incoming.map((f) => f.name), widened: [] };
  const widened: string[] = [];
  const schema: Field[] = table.map((field) => {
    const other = byName.get(field.name);
    if (other === undefined) {
      if (keysOnly) return field;
      throw new SchemaConflictError(
        `input ${ctx.input} has no column "${field.name}" (${formatColumnType(field.type)}) of table ${ctx.table}; give it (NULL if unknown) so no stored value is lost silently`,
        { table: ctx.table, ...(ctx.file ? { file: ctx.file } : {}), value: field.name },
      );
    }
    if (sameType(field.type, other.type)) return field;
    // Text (CSV cells, JSON strings, all-null JSON columns) is parsed into the stored type; a value
    // that does not parse is reported by `conformBatch` with the value and its row.
    if (other.type.kind === 'string') return field;
    const wider = widenType(field.type, other.type);
    if (wider !== undefined) {
      if (!sameType(wider, field.type)) widened.push(field.name);
      return { name: field.name, type: wider };
    }
    if (widenType(other.type, field.type) !== undefined) return field; // narrower input: cast up
    // Integers into a float column: cast, and `conformBatch` refuses any value that does not round-trip.
    if (isLossyPromotion(other.type, field.type)) return field;
    // Floats into an integer column that a float type would round (BIGINT → DOUBLE, INTEGER → FLOAT):
    // the column is not widened; `conformBatch` accepts only whole values that fit, else refuses.
    if (isLossyPromotion(field.type, other.type)) return field;
    // Floats into a DECIMAL column (a CSV's `2.5` after `1.25` was kept exact as DECIMAL): cast, and
    // `conformBatch` refuses any value the column's scale would round.
    if ((other.type.kind === 'float32' || other.type.kind === 'float64') && field.type.kind === 'decimal') return field;
    throw new SchemaConflictError(
      `column "${field.name}" of input ${ctx.input} is ${formatColumnType(other.type)} but table ${ctx.table} stores ${formatColumnType(field.type)}, and one does not widen to the other`,
      { table: ctx.table, ...(ctx.file ? { file: ctx.file } : {}), value: field.name },
    );
  });
  const known = new Set(table.map((f) => f.name));
  const added = keysOnly ? [] : incoming.filter((f) => !known.has(f.name));
  return { schema: [...schema, ...added], added: added.map((f) => f.name), widened };
}

/** The staged batch's data schema (meta columns, the delete marker and the row number left out). */
export async function incomingSchema(
  duck: DuckSession,
  staged: StagedInput,
  ctx: BatchContext,
): Promise<{ schema: Schema; hasDeleteMarker: boolean; duckTypes: ReadonlyMap<string, string> }> {
  const cols = staged.columns ?? (await duck.describe(`SELECT * FROM ${staged.relation}`));
  const names: string[] = [];
  const types: Array<Columns['types'][number]> = [];
  let hasDeleteMarker = false;
  for (let i = 0; i < cols.names.length; i++) {
    const name = cols.names[i]!;
    if (name === DELETE_MARKER) hasDeleteMarker = true;
    if (name === DELETE_MARKER || (staged.row === SOURCE_ROW && name === SOURCE_ROW) || (META_COLUMNS as readonly string[]).includes(name)) continue;
    names.push(name);
    types.push(cols.types[i]!);
  }
  return {
    schema: schemaFromColumns(names, types, { table: ctx.table, ...(ctx.file ? { file: ctx.file } : {}) }),
    hasDeleteMarker,
    // JSON is a VARCHAR alias that `toString` hides; kept, so the conformed batch casts it to the
    // stored VARCHAR (a JSON-typed batch column would make DuckDB cast the stored text to JSON).
    duckTypes: new Map(names.map((n, i) => [n, types[i]!.alias === 'JSON' ? 'JSON' : types[i]!.toString()])),
  };
}

/** One partition of a conformed batch. */
export interface PartitionProfile {
  readonly partitionPath: string;
  readonly rows: number;
  /** Rows marked as deletes. */
  readonly deletes: number;
}

/** What `conformBatch` learned from its pass over the batch. */
export interface BatchProfile {
  readonly partitions: ReadonlyArray<PartitionProfile>;
  readonly rows: number;
  /** False only when no partition holds a record key twice (so precombining has nothing to do). */
  readonly mayHaveDuplicates: boolean;
  /** The conformed batch: a query (parenthesized) to read it from, not a copy. */
  readonly relation: string;
}

// Kinds whose values never render as an empty string: only NULL is a missing key.
const NEVER_EMPTY = new Set(['boolean', 'int8', 'int16', 'int32', 'int64', 'float32', 'float64', 'date', 'timestamp', 'decimal']);
// Kinds whose rendering is one-to-one, so distinct values are distinct record keys.
const RENDERED_ONE_TO_ONE = new Set(['int8', 'int16', 'int32', 'int64', 'string']);

/** `CAST(col AS type)`, or a cheaper exact equivalent. */
function castSql(column: string, from: string, to: string): string {
  // TIMESTAMP is UTC by Tidemark's rule; CAST to TIMESTAMPTZ would go through ICU's calendar for
  // every row (8x slower) to add a zero offset.
  if (from === 'TIMESTAMP' && to === 'TIMESTAMPTZ') return `make_timestamptz(epoch_us(${column}))`;
  return `CAST(${column} AS ${to})`;
}

/**
 * The conformed batch over `staged` (`profile.relation`, a query): columns cast to `schema` (those
 * absent as NULL), plus `__tm_rk`, `__tm_pp`, `__tm_del` and `__tm_row` (input order). Nothing is
 * copied, and no view is created (a partition map needing URL-encoding is the table `target_pp`,
 * dropped with the write's other scratch tables). One aggregate
 * checks every row (casts that can fail, null keys, null ordering values) and counts rows per
 * partition; a second counts distinct keys, to tell whether precombining can be skipped.
 */
export async function conformBatch(
  duck: DuckSession,
  args: {
    readonly config: TableConfig;
    readonly schema: Schema;
    /** The staged columns' DuckDB types, by name. */
    readonly incoming: ReadonlyMap<string, string>;
    readonly staged: StagedInput;
    readonly target: string;
    readonly hasDeleteMarker: boolean;
    readonly forceDelete: boolean;
    readonly requireOrdering: boolean;
    readonly ctx: BatchContext;
  },
): Promise<BatchProfile> {
  const { config, schema, staged, target, ctx } = args;
  const present = args.incoming;
  const types = new Map<string, ColumnType>(schema.map((f) => [f.name, f.type]));
  const cast = schema
    .map((f) => {
      const from = present.get(f.name);
      const to = duckdbTypeSql(f.type);
      return `${from === undefined ? `CAST(NULL AS ${to})` : from === to ? sqlIdent(f.name) : castSql(sqlIdent(f.name), from, to)} AS ${sqlIdent(f.name)}`;
    })
    .join(', ');
  const del = args.forceDelete ? 'true' : args.hasDeleteMarker ? `coalesce(CAST(${sqlIdent(DELETE_MARKER)} AS BOOLEAN), false)` : 'false';
  const values = partitionValueSql(config, types);
  const valueCols = values.map((_, i) => `__tm_pv${i}`);
  const conformed = `(SELECT *, ${recordKeySql(config, types)} AS __tm_rk${values.map((v, i) => `, ${v} AS ${valueCols[i]}`).join('')}
    FROM (SELECT ${cast}, ${del} AS __tm_del, ${staged.row} AS __tm_row FROM ${staged.relation}))`;

  // Per partition value: rows, deletes, key problems, ordering problems, and a cast of every column
  // whose input type differs (the only casts that can fail; the relation is lazy).
  const problems: Array<{ sql: string; what: string }> = config.recordKeyFields.map((field) => {
    const col = sqlIdent(field);
    const kind = types.get(field)?.kind ?? 'string';
    return { what: field, sql: NEVER_EMPTY.has(kind) ? `${col} IS NULL` : kind === 'string' ? `(${col} IS NULL OR ${col} = '')` : `(${col} IS NULL OR CAST(${col} AS VARCHAR) = '')` };
  });
  const ord = args.requireOrdering && config.precombineField !== undefined ? sqlIdent(config.precombineField) : undefined;
  if (ord !== undefined) problems.push({ what: '', sql: `${ord} IS NULL` });
  const checks = ['count(*) AS n', 'count(*) FILTER (WHERE __tm_del) AS dels', ...problems.map((p, i) => `count(*) FILTER (WHERE ${p.sql}) AS bad${i}`)];
  schema.forEach((f, i) => {
    const from = present.get(f.name);
    if (from !== undefined && from !== duckdbTypeSql(f.type) && !(from === 'TIMESTAMP' && f.type.kind === 'timestamp')) checks.push(`count(${sqlIdent(f.name)}) AS cc${i}`);
  });
  await checkExactCasts(duck, staged, schema, present, ctx);
  // The distinct-key count runs beside the checks (another connection: another core); it is used
  // only once they pass, and always settled before returning or raising.
  const distinct = distinctKeys(duck, conformed, config, types, valueCols);
  distinct.catch(() => {});
  try {
    return await checkAndProfile(duck, { config, conformed, target, staged, schema, present, ctx, valueCols, checks, problems }, distinct);
  } finally {
    await distinct.catch(() => {});
  }
}

interface ProfileArgs {
  readonly config: TableConfig;
  readonly conformed: string;
  readonly target: string;
  readonly staged: StagedInput;
  readonly schema: Schema;
  readonly present: ReadonlyMap<string, string>;
  readonly ctx: BatchContext;
  readonly valueCols: ReadonlyArray<string>;
  readonly checks: ReadonlyArray<string>;
  readonly problems: ReadonlyArray<{ what: string; sql: string }>;
}

/** Runs the checks' aggregate, raises for bad rows, and profiles the batch (with its conformed relation). */
async function checkAndProfile(duck: DuckSession, a: ProfileArgs, distinct: Promise<number>): Promise<BatchProfile> {
  const { config, conformed, target, staged, schema, present, ctx, valueCols, checks, problems } = a;
  let rows: Record<string, unknown>[];
  try {
    rows = await duck.rows(`SELECT ${[...valueCols, ...checks].join(', ')} FROM ${conformed}${valueCols.length > 0 ? ' GROUP BY ALL' : ''}`);
  } catch (error) {
    throw await explainCastFailure(duck, staged, schema, new Set(present.keys()), ctx, error);
  }
  rows = rows.filter((r) => Number(r.n) > 0);
  for (const [i, p] of problems.entries()) {
    const n = rows.reduce((sum, r) => sum + Number(r[`bad${i}`]), 0);
    if (n > 0) await reportProblem(duck, conformed, config, p, n, ctx);
  }

  // Partition paths: escaped in JavaScript once per distinct value; rows get them by a join only
  // when some value needs escaping (otherwise the unescaped SQL expression is exact).
  const options = { hiveStyle: config.hiveStylePartitioning, urlEncode: config.urlEncodePartitions };
  const tuples = rows.map((r) => valueCols.map((c) => (r[c] === null || r[c] === undefined ? null : String(r[c]))));
  const paths = tuples.map((t) => partitionPathOf(config.partitionFields, t, options));
  const plain = tuples.every((t, i) => partitionPathOf(config.partitionFields, t, { ...options, urlEncode: false }) === paths[i]);
  let relation: string;
  if (plain || valueCols.length === 0) {
    relation = `(SELECT * EXCLUDE (${['__tm_rk', ...valueCols].join(', ')}), __tm_rk, ${plainPartitionPathSql(config, valueCols)} AS __tm_pp FROM ${conformed})`;
  } else {
    // NULL values join as '' (a rendered value is never empty: nullif).
    const map = tuples.map((t, i) => `(${[...t.map((v) => sqlString(v ?? '')), sqlString(paths[i]!)].join(', ')})`).join(', ');
    await duck.run(`CREATE TABLE ${target}_pp AS SELECT * FROM (VALUES ${map}) m(${[...valueCols, 'pp'].join(', ')})`);
    const on = valueCols.map((c) => `coalesce(c.${c}, '') = m.${c}`).join(' AND ');
    relation = `(SELECT c.* EXCLUDE (${['__tm_rk', ...valueCols].join(', ')}), c.__tm_rk, m.pp AS __tm_pp FROM ${conformed} c JOIN ${target}_pp m ON ${on})`;
  }
  const partitions = rows.map((r, i) => ({ partitionPath: paths[i]!, rows: Number(r.n), deletes: Number(r.dels) }));
  const total = partitions.reduce((n, p) => n + p.rows, 0);
  return { partitions, rows: total, mayHaveDuplicates: total > 1 && (await distinct) < total, relation };
}

/**
 * Distinct (partition, record key) pairs, by 64-bit hash: equal to the row count only when no key
 * repeats within a partition (a collision can only make it smaller, which merely costs a needless
 * precombine). A single integer or string key field is hashed as stored (its rendering is
 * one-to-one), sparing the cast to text.
 */
async function distinctKeys(duck: DuckSession, conformed: string, config: TableConfig, types: ReadonlyMap<string, ColumnType>, valueCols: ReadonlyArray<string>): Promise<number> {
  const [only] = config.recordKeyFields;
  const key = config.recordKeyFields.length === 1 && RENDERED_ONE_TO_ONE.has(types.get(only!)?.kind ?? '') ? sqlIdent(only!) : '__tm_rk';
  const [r] = await duck.rows(`SELECT count(DISTINCT hash(${[...valueCols, key].join(', ')})) AS n FROM ${conformed}`);
  return Number(r!.n);
}

const INTEGER_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT']);

/**
 * Refuses casts that would change a value silently: an integer into a float column that it does not
 * fit exactly (9007199254740993 → DOUBLE), a float into an integer column that is not a whole value
 * of it (such a column is never widened to a float type that would round it), a float into a
 * DECIMAL column that its scale would round, and a timestamp with sub-microsecond digits (nanosecond
 * Parquet, or text such as `…:00.123456789`), which Hudi's microseconds would truncate. Names the
 * column, the value, its input row, the table and the input.
 */
async function checkExactCasts(duck: DuckSession, staged: StagedInput, schema: Schema, present: ReadonlyMap<string, string>, ctx: BatchContext): Promise<void> {
  for (const f of schema) {
    const from = present.get(f.name);
    if (from === undefined) continue;
    const col = sqlIdent(f.name);
    let bad: string | undefined;
    let why = '';
    if (INTEGER_TYPES.has(from) && (f.type.kind === 'float32' || f.type.kind === 'float64')) {
      bad = `TRY_CAST(CAST(${col} AS ${duckdbTypeSql(f.type)}) AS ${from}) IS DISTINCT FROM ${col}`;
      why = `cannot be stored exactly as ${formatColumnType(f.type)} (table ${ctx.table} stores that type; it would be rounded)`;
    } else if ((from === 'FLOAT' || from === 'DOUBLE') && (f.type.kind === 'int32' || f.type.kind === 'int64')) {
      const to = duckdbTypeSql(f.type);
      bad = `(TRY_CAST(${col} AS ${to}) IS NULL OR CAST(TRY_CAST(${col} AS ${to}) AS ${from}) <> ${col})`;
      why = `is ${from}, but column "${f.name}" of table ${ctx.table} is ${to}: widening it to ${from} would round stored values (integers beyond 2^${f.type.kind === 'int32' ? 24 : 53}), so it is refused, and a ${from} value is accepted only when it is a whole ${to}; cast the input column, or write a new table`;
    } else if ((from === 'FLOAT' || from === 'DOUBLE') && f.type.kind === 'decimal') {
      const to = duckdbTypeSql(f.type);
      bad = `(TRY_CAST(${col} AS ${to}) IS NULL OR CAST(TRY_CAST(${col} AS ${to}) AS ${from}) <> ${col})`;
      why = `is ${from}, but column "${f.name}" of table ${ctx.table} is ${to}, which would round it; a ${from} value is accepted only when ${to} holds it exactly`;
    } else if (f.type.kind === 'timestamp' && from === 'TIMESTAMP_NS') {
      bad = `epoch_ns(${col}) % 1000 <> 0`;
    } else if (f.type.kind === 'timestamp' && from === 'VARCHAR') {
      // Only text longer than `yyyy-mm-dd hh:mm:ss.ffffff` can hold a 7th fraction digit.
      bad = `length(${col}) > 26 AND regexp_matches(${col}, '[0-9]:[0-9]{2}\\.[0-9]{7,}')`;
    }
    if (bad === undefined) continue;
    if (why === '') why = `has digits below a microsecond, which table ${ctx.table} (a Hudi timestamp, microseconds) cannot store; round or truncate it first`;
    const rows = await duck.rows(`SELECT CAST(${col} AS VARCHAR) AS v, ${staged.row} AS r FROM ${staged.relation} WHERE ${col} IS NOT NULL AND ${bad} LIMIT 1`);
    if (rows.length > 0) {
      const v = String(rows[0]!.v);
      throw new SchemaConflictError(`value "${v}" in column "${f.name}" (input row ${Number(rows[0]!.r) + 1} of ${ctx.input}) ${why}`, {
        table: ctx.table,
        ...(ctx.file ? { file: ctx.file } : {}),
        value: v,
      });
    }
  }
}

async function explainCastFailure(duck: DuckSession, staged: StagedInput, schema: Schema, present: ReadonlySet<string>, ctx: BatchContext, error: unknown): Promise<Error> {
  for (const f of schema) {
    if (!present.has(f.name)) continue;
    const col = sqlIdent(f.name);
    const bad = await duck.rows(
      `SELECT CAST(${col} AS VARCHAR) AS v, ${staged.row} AS r FROM ${staged.relation} WHERE ${col} IS NOT NULL AND TRY_CAST(${col} AS ${duckdbTypeSql(f.type)}) IS NULL LIMIT 1`,
    ).catch(() => []);
    if (bad.length > 0) {
      const v = String(bad[0]!.v);
      return new SchemaConflictError(
        `value "${v}" in column "${f.name}" (input row ${Number(bad[0]!.r) + 1} of ${ctx.input}) is not a valid ${formatColumnType(f.type)}, the type table ${ctx.table} stores`,
        { table: ctx.table, ...(ctx.file ? { file: ctx.file } : {}), value: v, cause: error },
      );
    }
  }
  return new InvalidInputError(`cannot conform ${ctx.input} to table ${ctx.table}: ${messageOf(error)}`, { table: ctx.table, ...(ctx.file ? { file: ctx.file } : {}), cause: error });
}

/** Raises for `n` rows with a null or empty key (`what` = the field) or a null ordering value (`what` = ''), naming the first. */
async function reportProblem(duck: DuckSession, conformed: string, config: TableConfig, problem: { sql: string; what: string }, n: number, ctx: BatchContext): Promise<never> {
  const [first] = await duck.rows(`SELECT __tm_row AS r, __tm_rk AS k FROM ${conformed} WHERE ${problem.sql} ORDER BY __tm_row LIMIT 1`);
  const row = Number(first!.r) + 1;
  const detail = { table: ctx.table, ...(ctx.file ? { file: ctx.file } : {}) };
  if (problem.what !== '') {
    throw new InvalidInputError(
      `record key field "${problem.what}" is null or empty in ${n} row(s) of ${ctx.input} (first at input row ${row}); table ${ctx.table} needs a key for every record`,
      { ...detail, value: null },
    );
  }
  throw new InvalidInputError(
    `precombine field "${config.precombineField}" is null in ${n} row(s) of ${ctx.input} (first at input row ${row}, key "${String(first!.k)}"); table ${ctx.table} orders versions by it`,
    { ...detail, value: first!.k },
  );
}
