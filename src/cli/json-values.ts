/**
 * DuckDB's JS values (as `getRowObjects()` returns them) to JSON values and to text, for the CLI's
 * renderers. Rules:
 *   - integers are JSON numbers while |n| <= 2^53, strings beyond (BIGINT, HUGEINT, UBIGINT);
 *   - non-finite doubles are the strings "NaN", "Infinity", "-Infinity";
 *   - DECIMAL is an exact string ("12345.67890", scale digits kept);
 *   - DATE is `YYYY-MM-DD`; TIMESTAMP / TIMESTAMPTZ (and _S, _MS) are ISO-8601 UTC with microseconds,
 *     `2024-01-01T10:00:00.000000Z`; TIMESTAMP_NS keeps nanoseconds (9 digits); infinite values are
 *     "infinity" / "-infinity"; years outside 0000..9999 use the expanded form `+YYYYYY` / `-YYYYYY`;
 *   - BLOB (and GEOMETRY's WKB) is base64;
 *   - LIST / ARRAY are arrays, STRUCT is an object, MAP is an object whose keys are the converted keys
 *     (strings as they are, anything else as its JSON text); UNION and VARIANT are their value;
 *   - TIME, TIMETZ, INTERVAL, UUID, BIT use DuckDB's text form.
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
  DuckDBUnionValue,
  DuckDBVariantValue,
} from '@duckdb/node-api';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const MAX_EXACT = 2n ** 53n;
const MICROS_PER_DAY = 86_400_000_000n;

/** Converts one DuckDB value (recursively) to a JSON value by the rules above. */
export function toJsonValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value <= MAX_EXACT && value >= -MAX_EXACT ? Number(value) : value.toString();
    default:
      break;
  }
  if (value instanceof DuckDBDecimalValue) return decimalString(value.value, value.scale);
  if (value instanceof DuckDBDateValue) return value.isFinite ? dateString(value.days) : infinity(value.days > 0);
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) {
    return value.isFinite ? timestampString(value.micros) : infinity(value.micros > 0n);
  }
  if (value instanceof DuckDBTimestampMillisecondsValue) return value.isFinite ? timestampString(value.millis * 1000n) : infinity(value.millis > 0n);
  if (value instanceof DuckDBTimestampSecondsValue) return value.isFinite ? timestampString(value.seconds * 1_000_000n) : infinity(value.seconds > 0n);
  if (value instanceof DuckDBTimestampNanosecondsValue) return value.isFinite ? timestampNanosString(value.nanos) : infinity(value.nanos > 0n);
  if (value instanceof DuckDBBlobValue || value instanceof DuckDBGeometryValue) return Buffer.from(value.bytes).toString('base64');
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) return value.items.map(toJsonValue);
  if (value instanceof DuckDBStructValue) {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value.entries)) setKey(out, k, toJsonValue(v));
    return out;
  }
  if (value instanceof DuckDBMapValue) {
    const out: { [key: string]: JsonValue } = {};
    for (const { key, value: v } of value.entries) {
      const k = toJsonValue(key);
      setKey(out, typeof k === 'string' ? k : JSON.stringify(k), toJsonValue(v));
    }
    return out;
  }
  if (value instanceof DuckDBUnionValue || value instanceof DuckDBVariantValue) return toJsonValue(value.value);
  if (value instanceof DuckDBBitValue) return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJsonValue);
  // TIME, TIMETZ, TIME_NS, INTERVAL, UUID and anything newer: DuckDB's text form.
  return String(value);
}

/** A value as one text cell (CSV, table): null stays null, scalars as their JSON value, nested values as JSON text. */
export function toText(value: unknown): string | null {
  const json = toJsonValue(value);
  if (json === null) return null;
  if (typeof json === 'string') return json;
  if (typeof json === 'object') return JSON.stringify(json);
  return String(json);
}

/** A row with every value converted. */
export function rowToJson(row: Readonly<Record<string, unknown>>): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  for (const [k, v] of Object.entries(row)) setKey(out, k, toJsonValue(v));
  return out;
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

/** Sets a key as an own property, so a field named `__proto__` stays data. */
function setKey(target: { [key: string]: JsonValue }, key: string, value: JsonValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
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
