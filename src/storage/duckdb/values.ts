/**
 * Row values of Tidemark's public API (`Value`): DuckDB's value classes, which `getRowObjects()`
 * returns, converted to plain JavaScript, exact where JavaScript has no exact type; and their JSON
 * form, which the CLI prints.
 */
import {
  DuckDBArrayValue,
  DuckDBBitValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBGeometryValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  DuckDBUnionValue,
  DuckDBVariantValue,
  type DuckDBResultReader,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';

/**
 * A value of a row the public API returns (`read`, `sql`, `lookup`): plain JavaScript, never
 * DuckDB's value classes. By DuckDB type:
 *
 * | DuckDB type                                               | JavaScript                                                                   |
 * | --------------------------------------------------------- | ---------------------------------------------------------------------------- |
 * | NULL (any type)                                           | `null`                                                                       |
 * | BOOLEAN                                                   | `boolean`                                                                    |
 * | TINYINT, SMALLINT, INTEGER, UTINYINT, USMALLINT, UINTEGER | `number`                                                                     |
 * | FLOAT, DOUBLE                                             | `number` (NaN, Infinity, -Infinity kept)                                     |
 * | BIGINT, UBIGINT, HUGEINT, UHUGEINT, BIGNUM                | `bigint` (whatever the magnitude)                                            |
 * | DECIMAL(p, s)                                             | `string`, exact with s fraction digits: `"12.50"`                            |
 * | VARCHAR, ENUM, UUID                                       | `string`                                                                     |
 * | BLOB, GEOMETRY (WKB)                                      | `Uint8Array` (a copy of the bytes)                                           |
 * | DATE                                                      | `string` `YYYY-MM-DD`                                                        |
 * | TIMESTAMP, TIMESTAMPTZ, TIMESTAMP_S, TIMESTAMP_MS         | `string` ISO-8601 UTC, microseconds: `2024-01-01T10:00:00.000000Z`           |
 * | TIMESTAMP_NS                                              | `string` the same with nanoseconds (9 digits)                                |
 * | LIST, ARRAY                                               | array                                                                        |
 * | STRUCT                                                    | plain object, one property per field                                         |
 * | MAP                                                       | plain object; a key that is not a string becomes its JSON text (`1` → `"1"`) |
 * | UNION, VARIANT                                            | the value they hold, converted by these rules                                |
 * | TIME, TIME_NS, TIMETZ, INTERVAL, BIT                      | `string`, DuckDB's text form (`"1 day 02:00:00"`)                            |
 *
 * Dates and timestamps are text because JavaScript's `Date` holds milliseconds while DuckDB and
 * Hudi hold microseconds: `new Date(value)` parses them (to the millisecond). Dates and timestamps
 * outside years 0000–9999 use ISO's expanded years (`+010000-01-01`); infinite ones are
 * `"infinity"` / `"-infinity"`. DuckDB casts these strings back to the same value (for dates and
 * timestamps, those in years 1–9999).
 *
 * The JSON form of a value (the CLI's `jsonl`) differs only where JSON has no type: integers
 * beyond ±2^53 and non-finite doubles become strings, bytes become base64.
 */
export type Value = null | boolean | number | bigint | string | Uint8Array | Value[] | { [key: string]: Value };

/** A row: column name to value. Columns that share a name are told apart as DuckDB's client does (`a`, `a:1`). */
export type Row = Record<string, Value>;

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Column names and DuckDB types of a result or relation. */
export interface Columns {
  readonly names: ReadonlyArray<string>;
  readonly types: ReadonlyArray<DuckDBType>;
}

const MAX_EXACT = 2n ** 53n;
const MICROS_PER_DAY = 86_400_000_000n;

/**
 * The columns of the results `plainRows` returned, for renderers that need more than the values:
 * a DECIMAL is a string in a plain row, yet a table shows it right-aligned as a number.
 */
const resultColumns = new WeakMap<ReadonlyArray<Row>, Columns>();

/** Converts a materialized result to plain rows, remembering its columns (`columnsOfRows`). */
export function plainRows(reader: DuckDBResultReader): Row[] {
  const names = reader.deduplicatedColumnNames();
  const rows = reader.getRows().map((values) => {
    const row: Row = {};
    for (let i = 0; i < names.length; i++) setKey(row, names[i]!, plainValue(values[i] ?? null));
    return row;
  });
  resultColumns.set(rows, { names, types: reader.columnTypes() });
  return rows;
}

/** The columns of rows `plainRows` returned (the same array), or undefined for any other rows. */
export function columnsOfRows(rows: ReadonlyArray<Readonly<Record<string, unknown>>>): Columns | undefined {
  return resultColumns.get(rows as ReadonlyArray<Row>);
}

/** DuckDB types whose values are numbers (a DECIMAL is a string in a plain row, yet a number). */
const NUMERIC_TYPES: ReadonlySet<DuckDBTypeId> = new Set([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.BIGNUM,
  DuckDBTypeId.FLOAT,
  DuckDBTypeId.DOUBLE,
  DuckDBTypeId.DECIMAL,
]);

/** Whether a column of this type holds numbers. */
export function isNumericType(type: DuckDBType): boolean {
  return NUMERIC_TYPES.has(type.typeId);
}

/** Whether a value is a number: a JS number or bigint, or DuckDB's DECIMAL value (not its plain string). */
export function isNumericValue(value: unknown): boolean {
  return typeof value === 'number' || typeof value === 'bigint' || value instanceof DuckDBDecimalValue;
}

/** Converts one DuckDB value (recursively) to a plain value by the rules above. */
export function plainValue(value: DuckDBValue): Value {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof DuckDBDecimalValue) return decimalString(value.value, value.scale);
  if (value instanceof DuckDBDateValue) return value.isFinite ? dateString(value.days) : infinity(value.days > 0);
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) {
    return value.isFinite ? timestampString(value.micros) : infinity(value.micros > 0n);
  }
  if (value instanceof DuckDBTimestampMillisecondsValue) return value.isFinite ? timestampString(value.millis * 1000n) : infinity(value.millis > 0n);
  if (value instanceof DuckDBTimestampSecondsValue) return value.isFinite ? timestampString(value.seconds * 1_000_000n) : infinity(value.seconds > 0n);
  if (value instanceof DuckDBTimestampNanosecondsValue) return value.isFinite ? timestampNanosString(value.nanos) : infinity(value.nanos > 0n);
  // DuckDB hands out views of a shared buffer (Node `Buffer`s); a copy is a plain Uint8Array of its own.
  if (value instanceof DuckDBBlobValue || value instanceof DuckDBGeometryValue) return new Uint8Array(value.bytes);
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) return value.items.map(plainValue);
  if (value instanceof DuckDBStructValue) {
    const out: { [key: string]: Value } = {};
    for (const [k, v] of Object.entries(value.entries)) setKey(out, k, plainValue(v));
    return out;
  }
  if (value instanceof DuckDBMapValue) {
    const out: { [key: string]: Value } = {};
    for (const { key, value: v } of value.entries) setKey(out, keyText(plainValue(key)), plainValue(v));
    return out;
  }
  if (value instanceof DuckDBUnionValue || value instanceof DuckDBVariantValue) return plainValue(value.value);
  if (value instanceof DuckDBBitValue) return value.toString();
  // TIME, TIME_NS, TIMETZ, INTERVAL, UUID and anything newer: DuckDB's text form.
  return String(value);
}

/**
 * The JSON form of a value: integers as numbers while |n| <= 2^53, strings beyond; non-finite
 * numbers as "NaN", "Infinity", "-Infinity"; bytes as base64; a `Date` as `toISOString()`; arrays
 * and plain objects converted member by member. DuckDB's value classes are converted by
 * `plainValue` first.
 */
export function jsonValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value <= MAX_EXACT && value >= -MAX_EXACT ? Number(value) : value.toString();
    case 'object':
      break;
    default:
      return String(value);
  }
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(jsonValue);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value)) setKey(out, k, jsonValue(v));
    return out;
  }
  // DuckDB's value classes, by their plain form; any other object is its String() there.
  return jsonValue(plainValue(value as DuckDBValue));
}

/** A map key as a property name: a string as it is, anything else as its JSON text. */
function keyText(key: Value): string {
  const json = jsonValue(key);
  return typeof json === 'string' ? json : JSON.stringify(json);
}

/** `unscaled / 10^scale` exactly, e.g. (1234567890n, 5) → "12345.67890", (-5n, 2) → "-0.05". */
export function decimalString(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString();
  if (scale <= 0) return (negative ? '-' : '') + digits + '0'.repeat(-scale);
  const padded = digits.padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

/** Days since 1970-01-01 as `YYYY-MM-DD` (proleptic Gregorian). */
export function dateString(days: number): string {
  const { y, m, d } = civilFromDays(days);
  return `${yearString(y)}-${pad(m, 2)}-${pad(d, 2)}`;
}

/** Microseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
export function timestampString(micros: bigint): string {
  return `${dateTimePart(micros, MICROS_PER_DAY, 1_000_000n)}.${pad(Number(mod(micros, 1_000_000n)), 6)}Z`;
}

/** Nanoseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.fffffffffZ`. */
export function timestampNanosString(nanos: bigint): string {
  return `${dateTimePart(nanos, MICROS_PER_DAY * 1000n, 1_000_000_000n)}.${pad(Number(mod(nanos, 1_000_000_000n)), 9)}Z`;
}

function dateTimePart(ticks: bigint, perDay: bigint, perSecond: bigint): string {
  const days = floorDiv(ticks, perDay);
  const secondOfDay = Number((ticks - days * perDay) / perSecond);
  const hh = Math.floor(secondOfDay / 3600);
  const mm = Math.floor((secondOfDay % 3600) / 60);
  return `${dateString(Number(days))}T${pad(hh, 2)}:${pad(mm, 2)}:${pad(secondOfDay % 60, 2)}`;
}

/** Howard Hinnant's days-to-civil algorithm. */
function civilFromDays(days: number): { y: number; m: number; d: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

function yearString(y: number): string {
  if (y >= 0 && y <= 9999) return pad(y, 4);
  return `${y < 0 ? '-' : '+'}${pad(Math.abs(y), 6)}`;
}

/** Sets a key as an own property, so a column or field named `__proto__` stays data. */
function setKey<T>(target: { [key: string]: T }, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function infinity(positive: boolean): string {
  return positive ? 'infinity' : '-infinity';
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function mod(a: bigint, b: bigint): bigint {
  return ((a % b) + b) % b;
}
