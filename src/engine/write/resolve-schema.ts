/**
 * A batch's schema against the table's: the columns a staged batch brings (`incomingSchema`), and
 * the schema the write produces (`resolveSchema`: new nullable columns added, widening changes
 * applied, anything else refused with an error naming the column, the table and the input).
 */
import { InvalidInputError, SchemaConflictError } from '../../errors.ts';
import type { Columns, DuckSession } from '../../storage/duckdb/session.ts';
import { schemaFromColumns } from '../../storage/duckdb/types.ts';
import { type Field, type Schema, formatColumnType, isLossyPromotion, sameType, widenType } from '../../table/schema.ts';
import { DELETE_MARKER, META_COLUMNS } from '../../table/meta-fields.ts';
import type { TableConfig } from '../../table/table-config.ts';
import { SOURCE_ROW, type StagedInput } from './input.ts';

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
