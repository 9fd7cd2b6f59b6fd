/**
 * Values to JSON and to text, for the CLI's renderers. They take the plain values the public API
 * returns (`storage/duckdb/values.ts`) and DuckDB's value classes alike, with the same result:
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
import { type JsonValue, jsonValue } from '../storage/duckdb/values.ts';

export { type JsonValue, dateString, decimalString, timestampNanosString, timestampString } from '../storage/duckdb/values.ts';

/** Converts one value (recursively) to a JSON value by the rules above. */
export function toJsonValue(value: unknown): JsonValue {
  return jsonValue(value);
}

/** A value as one text cell (CSV, table): null stays null, scalars as their JSON value, nested values as JSON text. */
export function toText(value: unknown): string | null {
  const json = jsonValue(value);
  if (json === null) return null;
  if (typeof json === 'string') return json;
  if (typeof json === 'object') return JSON.stringify(json);
  return String(json);
}

/** A row with every value converted. */
export function rowToJson(row: Readonly<Record<string, unknown>>): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  for (const [k, v] of Object.entries(row)) {
    // Defined, not assigned, so a column named `__proto__` stays data.
    if (k === '__proto__') Object.defineProperty(out, k, { value: jsonValue(v), enumerable: true, writable: true, configurable: true });
    else out[k] = jsonValue(v);
  }
  return out;
}
