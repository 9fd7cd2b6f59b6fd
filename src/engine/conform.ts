/**
 * From a staged batch to a conformed one: the batch's columns checked against the table schema
 * (new nullable columns are added, widening changes applied, anything else refused), cast to the
 * table's types, with record key, partition path and delete marker computed, and its keys
 * validated. Nothing here touches the table; a bad batch fails before the timeline changes.
 */
import { InvalidInputError, SchemaConflictError, messageOf } from '../errors.ts';
import type { DuckSession } from '../storage/duckdb/session.ts';
import { schemaFromColumns } from '../storage/duckdb/types.ts';
import { sqlIdent } from '../storage/duckdb/sql.ts';
import { type ColumnType, type Field, type Schema, duckdbTypeSql, formatColumnType, sameType, widenType } from '../table/schema.ts';
import type { TableConfig } from '../table/table-config.ts';
import { partitionPathSql, recordKeySql } from './key-sql.ts';

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
    throw new SchemaConflictError(
      `column "${field.name}" of input ${ctx.input} is ${formatColumnType(other.type)} but table ${ctx.table} stores ${formatColumnType(field.type)}, and one does not widen to the other`,
      { table: ctx.table, ...(ctx.file ? { file: ctx.file } : {}), value: field.name },
    );
  });
  const known = new Set(table.map((f) => f.name));
  const added = keysOnly ? [] : incoming.filter((f) => !known.has(f.name));
  return { schema: [...schema, ...added], added: added.map((f) => f.name), widened };
}

/** The staged batch's data schema (meta columns and the delete marker left out). */
export async function incomingSchema(duck: DuckSession, staged: string, ctx: BatchContext): Promise<{ schema: Schema; hasDeleteMarker: boolean }> {
  const cols = await duck.describe(`SELECT * FROM ${staged}`);
  const names: string[] = [];
  const types = [];
  let hasDeleteMarker = false;
  for (let i = 0; i < cols.names.length; i++) {
    const name = cols.names[i]!;
    if (name === DELETE_MARKER) hasDeleteMarker = true;
    if (name === DELETE_MARKER || (META_COLUMNS as readonly string[]).includes(name)) continue;
    names.push(name);
    types.push(cols.types[i]!);
  }
  return { schema: schemaFromColumns(names, types, { table: ctx.table, ...(ctx.file ? { file: ctx.file } : {}) }), hasDeleteMarker };
}

/**
 * Creates `target` from `staged`: columns cast to `schema` (those absent as NULL), plus `__tm_rk`,
 * `__tm_pp`, `__tm_del` and `__tm_row` (input order). Then checks keys and ordering values.
 */
export async function conformBatch(
  duck: DuckSession,
  args: {
    readonly config: TableConfig;
    readonly schema: Schema;
    readonly staged: string;
    readonly target: string;
    readonly present: ReadonlySet<string>;
    readonly hasDeleteMarker: boolean;
    readonly forceDelete: boolean;
    readonly requireOrdering: boolean;
    readonly ctx: BatchContext;
  },
): Promise<void> {
  const { config, schema, staged, target, present, ctx } = args;
  const types = new Map<string, ColumnType>(schema.map((f) => [f.name, f.type]));
  const cast = schema
    .map((f) => `${present.has(f.name) ? `CAST(${sqlIdent(f.name)} AS ${duckdbTypeSql(f.type)})` : `CAST(NULL AS ${duckdbTypeSql(f.type)})`} AS ${sqlIdent(f.name)}`)
    .join(', ');
  const del = args.forceDelete ? 'true' : args.hasDeleteMarker ? `coalesce(CAST(${sqlIdent(DELETE_MARKER)} AS BOOLEAN), false)` : 'false';
  const sql = `CREATE TABLE ${target} AS
    SELECT *, ${recordKeySql(config, types)} AS __tm_rk, ${partitionPathSql(config, types)} AS __tm_pp
    FROM (SELECT ${cast}, ${del} AS __tm_del, rowid AS __tm_row FROM ${staged})`;
  try {
    await duck.run(sql);
  } catch (error) {
    throw await explainCastFailure(duck, staged, schema, present, ctx, error);
  }
  await checkKeys(duck, target, config, args.requireOrdering, ctx);
}

async function explainCastFailure(duck: DuckSession, staged: string, schema: Schema, present: ReadonlySet<string>, ctx: BatchContext, error: unknown): Promise<Error> {
  for (const f of schema) {
    if (!present.has(f.name)) continue;
    const col = sqlIdent(f.name);
    const bad = await duck.rows(
      `SELECT CAST(${col} AS VARCHAR) AS v, rowid AS r FROM ${staged} WHERE ${col} IS NOT NULL AND TRY_CAST(${col} AS ${duckdbTypeSql(f.type)}) IS NULL LIMIT 1`,
    );
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

async function checkKeys(duck: DuckSession, batch: string, config: TableConfig, requireOrdering: boolean, ctx: BatchContext): Promise<void> {
  const fail = (message: string, value: unknown): never => {
    throw new InvalidInputError(message, { table: ctx.table, ...(ctx.file ? { file: ctx.file } : {}), value });
  };
  for (const field of config.recordKeyFields) {
    const col = sqlIdent(field);
    const [r] = await duck.rows(
      `SELECT count(*) AS n, min(__tm_row) AS first FROM ${batch} WHERE ${col} IS NULL OR CAST(${col} AS VARCHAR) = ''`,
    );
    if (Number(r!.n) > 0) {
      fail(
        `record key field "${field}" is null or empty in ${r!.n} row(s) of ${ctx.input} (first at input row ${Number(r!.first) + 1}); table ${ctx.table} needs a key for every record`,
        null,
      );
    }
  }
  if (requireOrdering && config.precombineField !== undefined) {
    const col = sqlIdent(config.precombineField);
    const [r] = await duck.rows(`SELECT count(*) AS n, min(__tm_row) AS first, any_value(__tm_rk) FILTER (WHERE ${col} IS NULL) AS k FROM ${batch} WHERE ${col} IS NULL`);
    if (Number(r!.n) > 0) {
      fail(
        `precombine field "${config.precombineField}" is null in ${r!.n} row(s) of ${ctx.input} (first at input row ${Number(r!.first) + 1}, key "${String(r!.k)}"); table ${ctx.table} orders versions by it`,
        r!.k,
      );
    }
  }
}
