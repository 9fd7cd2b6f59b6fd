/**
 * From a staged batch to a conformed one: the batch's columns checked against the table schema
 * (new nullable columns are added, widening changes applied, anything else refused), cast to the
 * table's types, with record key, partition path and delete marker computed, and its keys
 * validated. The conformed batch is a view, not a copy: one aggregate over it validates every row
 * (casts that can fail, keys, ordering values) and profiles it per partition. Nothing here touches
 * the table; a bad batch fails before the timeline changes.
 */
import { InvalidInputError, SchemaConflictError, messageOf } from '../../errors.ts';
import type { DuckSession } from '../../storage/duckdb/session.ts';
import { sqlIdent, sqlString } from '../../storage/duckdb/sql.ts';
import { partitionPathOf } from '../../table/partition-path.ts';
import { type ColumnType, type Schema, duckdbTypeSql, formatColumnType } from '../../table/schema.ts';
import { DELETE_MARKER } from '../../table/meta-fields.ts';
import type { TableConfig } from '../../table/table-config.ts';
import { type StagedInput } from './input.ts';
import { partitionValueSql, plainPartitionPathSql, recordKeySql } from './key-sql.ts';
import { WC } from './working-columns.ts';
import type { BatchContext } from './resolve-schema.ts';

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
  const valueCols = values.map((_, i) => `${WC.pv}${i}`);
  const conformed = `(SELECT *, ${recordKeySql(config, types)} AS ${WC.rk}${values.map((v, i) => `, ${v} AS ${valueCols[i]}`).join('')}
    FROM (SELECT ${cast}, ${del} AS ${WC.del}, ${staged.row} AS ${WC.row} FROM ${staged.relation}))`;

  // Per partition value: rows, deletes, key problems, ordering problems, and a cast of every column
  // whose input type differs (the only casts that can fail; the relation is lazy).
  const problems: Array<{ sql: string; what: string }> = config.recordKeyFields.map((field) => {
    const col = sqlIdent(field);
    const kind = types.get(field)?.kind ?? 'string';
    return { what: field, sql: NEVER_EMPTY.has(kind) ? `${col} IS NULL` : kind === 'string' ? `(${col} IS NULL OR ${col} = '')` : `(${col} IS NULL OR CAST(${col} AS VARCHAR) = '')` };
  });
  const ord = args.requireOrdering && config.precombineField !== undefined ? sqlIdent(config.precombineField) : undefined;
  if (ord !== undefined) problems.push({ what: '', sql: `${ord} IS NULL` });
  const checks = ['count(*) AS n', `count(*) FILTER (WHERE ${WC.del}) AS dels`, ...problems.map((p, i) => `count(*) FILTER (WHERE ${p.sql}) AS bad${i}`)];
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
    relation = `(SELECT * EXCLUDE (${[WC.rk, ...valueCols].join(', ')}), ${WC.rk}, ${plainPartitionPathSql(config, valueCols)} AS ${WC.pp} FROM ${conformed})`;
  } else {
    // NULL values join as '' (a rendered value is never empty: nullif).
    const map = tuples.map((t, i) => `(${[...t.map((v) => sqlString(v ?? '')), sqlString(paths[i]!)].join(', ')})`).join(', ');
    await duck.run(`CREATE TABLE ${target}_pp AS SELECT * FROM (VALUES ${map}) m(${[...valueCols, 'pp'].join(', ')})`);
    const on = valueCols.map((c) => `coalesce(c.${c}, '') = m.${c}`).join(' AND ');
    relation = `(SELECT c.* EXCLUDE (${[WC.rk, ...valueCols].join(', ')}), c.${WC.rk}, m.pp AS ${WC.pp} FROM ${conformed} c JOIN ${target}_pp m ON ${on})`;
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
  const key = config.recordKeyFields.length === 1 && RENDERED_ONE_TO_ONE.has(types.get(only!)?.kind ?? '') ? sqlIdent(only!) : WC.rk;
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
  const [first] = await duck.rows(`SELECT ${WC.row} AS r, ${WC.rk} AS k FROM ${conformed} WHERE ${problem.sql} ORDER BY ${WC.row} LIMIT 1`);
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
