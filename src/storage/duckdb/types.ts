/**
 * Maps the column types DuckDB reports for a query result (or a file it reads) to Tidemark's
 * `ColumnType`. Types that a Hudi table cannot store without changing values are rejected with a
 * message naming the column and saying what to cast to, rather than converted silently.
 */
import { DuckDBTypeId, type DuckDBType } from '@duckdb/node-api';
import { InvalidInputError } from '../../errors.ts';
import { MAX_DECIMAL_PRECISION, type ColumnType, type Field, type Schema } from '../../table/schema.ts';

/** Where the columns come from, for error messages. */
export interface TypeContext {
  readonly table?: string;
  readonly file?: string;
}

function reject(type: DuckDBType, column: string, context: TypeContext, advice: string): InvalidInputError {
  const where = context.file !== undefined ? ` in ${context.file}` : context.table !== undefined ? ` for table ${context.table}` : '';
  return new InvalidInputError(`Column "${column}"${where} has DuckDB type ${type.toString()}, ${advice}`, {
    ...context,
    value: column,
  });
}

/** The `ColumnType` for a DuckDB type; throws InvalidInputError for types a Hudi table cannot hold. */
export function columnTypeFromDuckDB(type: DuckDBType, column: string, context: TypeContext): ColumnType {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return { kind: 'boolean' };
    case DuckDBTypeId.TINYINT:
      return { kind: 'int8' };
    case DuckDBTypeId.SMALLINT:
      return { kind: 'int16' };
    case DuckDBTypeId.INTEGER:
      return { kind: 'int32' };
    case DuckDBTypeId.BIGINT:
      return { kind: 'int64' };
    // Unsigned integers go to the next wider signed type, which holds every value.
    case DuckDBTypeId.UTINYINT:
      return { kind: 'int16' };
    case DuckDBTypeId.USMALLINT:
      return { kind: 'int32' };
    case DuckDBTypeId.UINTEGER:
      return { kind: 'int64' };
    // 128-bit and unsigned 64-bit integers are what DuckDB's sum() and count arithmetic produce;
    // they are stored as 64-bit (as Spark's sum of longs is), and a value that does not fit fails
    // the write's checked cast with an error naming it, rather than wrapping.
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return { kind: 'int64' };
    case DuckDBTypeId.BIGNUM:
      throw reject(type, column, context, 'which is wider than 64 bits; cast it to BIGINT or DECIMAL(38,0)');
    case DuckDBTypeId.FLOAT:
      return { kind: 'float32' };
    case DuckDBTypeId.DOUBLE:
      return { kind: 'float64' };
    // VARCHAR includes JSON (a VARCHAR alias); UUIDs and enum labels are stored as their text.
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.UUID:
    case DuckDBTypeId.ENUM:
      return { kind: 'string' };
    case DuckDBTypeId.BLOB:
      return { kind: 'binary' };
    case DuckDBTypeId.DATE:
      return { kind: 'date' };
    // Every timestamp becomes UTC microseconds: naive ones are taken as UTC, nanoseconds truncate.
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return { kind: 'timestamp' };
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIME_TZ:
    case DuckDBTypeId.TIME_NS:
      throw reject(type, column, context, 'which Hudi has no type for; cast it to VARCHAR or to a TIMESTAMP');
    case DuckDBTypeId.INTERVAL:
      throw reject(type, column, context, 'which Hudi has no type for; cast it to VARCHAR or to a number of units');
    case DuckDBTypeId.DECIMAL:
      if (type.width > MAX_DECIMAL_PRECISION) {
        throw reject(type, column, context, `wider than DECIMAL(${MAX_DECIMAL_PRECISION}); cast it`);
      }
      return { kind: 'decimal', precision: type.width, scale: type.scale };
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return { kind: 'list', element: columnTypeFromDuckDB(type.valueType, `${column}[]`, context) };
    case DuckDBTypeId.MAP:
      return {
        kind: 'map',
        key: columnTypeFromDuckDB(type.keyType, `${column}{key}`, context),
        value: columnTypeFromDuckDB(type.valueType, `${column}{value}`, context),
      };
    case DuckDBTypeId.STRUCT:
      return {
        kind: 'struct',
        fields: type.entryNames.map(
          (name, i): Field => ({ name, type: columnTypeFromDuckDB(type.entryTypes[i]!, `${column}.${name}`, context) }),
        ),
      };
    case DuckDBTypeId.SQLNULL:
      throw reject(type, column, context, 'so its type is unknown; cast it to the intended type');
    default:
      throw reject(type, column, context, 'which Tidemark cannot store in a Hudi table; cast it to a supported type');
  }
}

/** The Schema of result columns (names and types in the same order). */
export function schemaFromColumns(names: readonly string[], types: readonly DuckDBType[], context: TypeContext): Schema {
  return names.map((name, i) => ({ name, type: columnTypeFromDuckDB(types[i]!, name, context) }));
}
