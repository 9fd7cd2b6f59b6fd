/**
 * DuckDB SQL that renders a query's rows as the CLI prints them, so that an export's text is made by
 * DuckDB (vectorized, on every core) instead of value by value in JavaScript: `jsonLinesSql` makes one
 * JSON object per row, `csvLinesSql` one CSV record. Measured on 2M rows of 15 columns, JavaScript
 * conversion (DuckDB values → `jsonValue` → `JSON.stringify`) took ~32 s, these lines ~6.5 s, as long
 * as DuckDB's own `COPY … (FORMAT json)`.
 *
 * Every rule reproduces `values.ts` `jsonValue` (JSON) and `cli/json-values.ts` `toText` (CSV) exactly;
 * test/integration/export-stream.test.ts compares the two on every type below. How:
 *   - integers: DuckDB's decimal text; beyond ±2^53 a JSON string;
 *   - FLOAT/DOUBLE: DuckDB's `to_json` writes the shortest round-trip digits, as JavaScript does, laid
 *     out like JavaScript except for a trailing `.0` (`100.0`), `e21` for `e+21` and `-0.0`, fixed
 *     here (checked on 1.8M random doubles); NaN and ±Infinity are strings;
 *   - DECIMAL: DuckDB's text, which keeps the scale's digits (`.500` gets its `0` back);
 *   - DATE / TIMESTAMP*: `strftime` in UTC, expanded years (`+010000`) outside 0000..9999;
 *   - strings: JSON escaping as `JSON.stringify` (`\u001f` in lower case, unlike `to_json`);
 *   - BLOB base64; UUID text; LIST/ARRAY and STRUCT recursively (struct fields in JavaScript's key
 *     order, which puts integer-like names first).
 * MAP, UNION, VARIANT, TIME, TIMETZ, INTERVAL, BIT, BIGNUM, GEOMETRY and TIMESTAMP_NS have no rule:
 * the builders return undefined and the caller converts those rows in JavaScript.
 */
import { type DuckDBType, DuckDBTypeId } from '@duckdb/node-api';
import type { Columns } from './values.ts';
import { sqlIdent, sqlString } from './sql.ts';

/** How one type renders: each function maps a SQL expression of a non-null value to a VARCHAR expression. */
interface Rule {
  readonly json: (e: string) => string;
  readonly text: (e: string) => string;
  /** Whether the text may hold a comma, quote, CR or LF (then a CSV field may need quotes). */
  readonly mayNeedQuotes: boolean;
}

const MAX_EXACT = '9007199254740992';

/** `'"' || s || '"'` for text known to need no JSON escaping. */
const quoted = (s: string): string => `('"' || ${s} || '"')`;

/**
 * A string as `JSON.stringify` writes it. DuckDB's `to_json` escapes the same characters the same
 * way, but for control characters other than \b \t \n \f \r, which it writes `\u001F` where
 * JavaScript writes `\u001f`: a string whose JSON holds `\u00` (rare; also a literal backslash
 * before `u00`, which costs only time) is escaped here instead, character by character.
 */
function jsonString(e: string): string {
  const json = `CAST(to_json(CAST(${e} AS VARCHAR)) AS VARCHAR)`;
  let full = `replace(replace(${e}, '\\', '\\\\'), '"', '\\"')`;
  for (let code = 0; code < 32; code++) {
    const short: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };
    full = `replace(${full}, chr(${code}), '${short[code] ?? `\\u${code.toString(16).padStart(4, '0')}`}')`;
  }
  return `(CASE WHEN contains(${json}, '\\u00') THEN ${quoted(full)} ELSE ${json} END)`;
}

/** A DATE or TIMESTAMP `t` with `format` for the part after the year: years 0000..9999 as they are, others expanded. */
function withYear(t: string, rest: string): string {
  return (
    `(CASE WHEN isinf(${t}) THEN CAST(${t} AS VARCHAR) WHEN year(${t}) BETWEEN 0 AND 9999 THEN strftime(${t}, '%Y${rest}') ` +
    `ELSE (CASE WHEN year(${t}) < 0 THEN '-' ELSE '+' END) || printf('%06d', abs(year(${t}))) || strftime(${t}, '${rest}') END)`
  );
}

/**
 * A double as JavaScript's `String(n)` writes it (finite, non-zero). `to_json` writes the same
 * shortest digits in the same layout except for whole numbers: `100.0` for `100`, `1e21` for
 * `1e+21`. Whole numbers below 2^53 are written as integers (faster than mending the text), the
 * others' text mended (checked against JavaScript on 4M random doubles of every magnitude).
 */
function jsNumber(d: string): string {
  const json = `CAST(to_json(${d}) AS VARCHAR)`;
  return (
    `(CASE WHEN abs(${d}) >= 1e21 THEN replace(${json}, 'e', 'e+') WHEN ${d} <> trunc(${d}) THEN ${json} ` +
    `WHEN abs(${d}) < ${MAX_EXACT} THEN CAST(CAST(${d} AS HUGEINT) AS VARCHAR) ELSE regexp_replace(${json}, '\\.0$', '') END)`
  );
}

function doubleRule(cast: (e: string) => string): Rule {
  const text = (e: string): string => {
    const d = cast(e);
    return `(CASE WHEN isnan(${d}) THEN 'NaN' WHEN isinf(${d}) THEN (CASE WHEN ${d} > 0 THEN 'Infinity' ELSE '-Infinity' END) WHEN ${d} = 0 THEN '0' ELSE ${jsNumber(d)} END)`;
  };
  return { text, json: (e) => `(CASE WHEN isfinite(${cast(e)}) THEN ${text(e)} ELSE ${quoted(text(e))} END)`, mayNeedQuotes: false };
}

const scalar = (text: (e: string) => string, json: (e: string) => string = text): Rule => ({ text, json, mayNeedQuotes: false });
const asText = (e: string): string => `CAST(${e} AS VARCHAR)`;
const stringRule: Rule = { text: asText, json: (e) => jsonString(asText(e)), mayNeedQuotes: true };
const timestampRule = (toTimestamp: (e: string) => string): Rule => {
  const text = (e: string): string => withYear(toTimestamp(e), '-%m-%dT%H:%M:%S.%fZ');
  return scalar(text, (e) => quoted(text(e)));
};

/** The rule of a type, or undefined when it has none (the caller then converts in JavaScript). */
function ruleOf(type: DuckDBType, depth: number): Rule | undefined {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return scalar((e) => `(CASE WHEN ${e} THEN 'true' ELSE 'false' END)`);
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
      return scalar(asText);
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return scalar(asText, (e) => `(CASE WHEN ${e} BETWEEN -${MAX_EXACT} AND ${MAX_EXACT} THEN ${asText(e)} ELSE ${quoted(asText(e))} END)`);
    case DuckDBTypeId.FLOAT:
      return doubleRule((e) => `CAST(${e} AS DOUBLE)`);
    case DuckDBTypeId.DOUBLE:
      return doubleRule((e) => e);
    case DuckDBTypeId.DECIMAL: {
      // DuckDB writes DECIMAL(3,3) 0.5 as `.500`; the CLI as `0.500`.
      const text = type.width === type.scale ? (e: string): string => `regexp_replace(${asText(e)}, '^(-?)\\.', '\\10.')` : asText;
      return scalar(text, (e) => quoted(text(e)));
    }
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.ENUM:
      return stringRule;
    case DuckDBTypeId.UUID:
      return scalar(asText, (e) => quoted(asText(e)));
    case DuckDBTypeId.BLOB:
      return scalar((e) => `to_base64(${e})`, (e) => quoted(`to_base64(${e})`));
    case DuckDBTypeId.DATE: {
      const text = (e: string): string => withYear(e, '-%m-%d');
      return scalar(text, (e) => quoted(text(e)));
    }
    case DuckDBTypeId.TIMESTAMP:
      return timestampRule((e) => e);
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
      return timestampRule((e) => `CAST(${e} AS TIMESTAMP)`);
    case DuckDBTypeId.TIMESTAMP_TZ:
      return timestampRule((e) => `timezone('UTC', ${e})`);
    case DuckDBTypeId.SQLNULL:
      return scalar(() => 'CAST(NULL AS VARCHAR)');
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const item = ruleOf(type.valueType, depth + 1);
      if (item === undefined) return undefined;
      const v = `v${depth}`;
      const json = (e: string): string => `('[' || array_to_string(list_transform(${e}, lambda ${v}: coalesce(${item.json(v)}, 'null')), ',') || ']')`;
      return { json, text: json, mayNeedQuotes: true };
    }
    case DuckDBTypeId.STRUCT: {
      const fields = jsKeyOrder(type.entryNames).map((i) => ({ name: type.entryNames[i]!, rule: ruleOf(type.entryTypes[i]!, depth + 1) }));
      if (fields.some((f) => f.rule === undefined)) return undefined;
      const json = (e: string): string => {
        const parts = fields.map((f, i) => `${sqlString(`${i === 0 ? '{' : ','}${JSON.stringify(f.name)}:`)}, coalesce(${f.rule!.json(`struct_extract(${e}, ${sqlString(f.name)})`)}, 'null')`);
        return `(CASE WHEN ${e} IS NULL THEN NULL ELSE concat(${parts.join(', ')}, '}') END)`;
      };
      return { json, text: json, mayNeedQuotes: true };
    }
    default:
      return undefined;
  }
}

/**
 * Indexes of `names` in the order JavaScript lists an object's keys (`Object.keys`): integer-like
 * keys first, ascending, then the others as given. Rows are objects, so that is the order the CLI
 * has always printed columns and fields in.
 */
export function jsKeyOrder(names: ReadonlyArray<string>): number[] {
  return Object.values(Object.fromEntries(names.map((name, i) => [name, i])));
}

/** Column names as `@duckdb/node-api` deduplicates them for row objects: `a`, `a:1`, `a:2`. */
export function deduplicatedNames(names: ReadonlyArray<string>): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n > 1 ? `${name}:${n - 1}` : name;
  });
}

/** A query's columns as the CLI prints them: deduplicated names, in JavaScript's key order, with their position. */
export function outputColumns(columns: Columns): Array<{ readonly name: string; readonly index: number; readonly type: DuckDBType }> {
  const names = deduplicatedNames(columns.names);
  return jsKeyOrder(names).map((index) => ({ name: names[index]!, index, type: columns.types[index]! }));
}

/** `query` with its columns renamed c0, c1, … (duplicate or odd names cannot be referred to otherwise). */
function renamed(query: string, count: number): string {
  const names = Array.from({ length: count }, (_, i) => sqlIdent(`c${i}`));
  return `(\n${query}\n) AS q(${names.join(', ')})`;
}

/**
 * A query of one VARCHAR column, `line`: each row of `query` as one JSON object (no newline), keys
 * and values as the CLI's `jsonl`; undefined when a column's type has no rule here.
 */
export function jsonLinesSql(query: string, columns: Columns): string | undefined {
  const cols = outputColumns(columns);
  const rules = cols.map((c) => ruleOf(c.type, 0));
  if (rules.some((r) => r === undefined)) return undefined;
  const parts = cols.map((c, i) => `${sqlString(`${i === 0 ? '{' : ','}${JSON.stringify(c.name)}:`)}, coalesce(${rules[i]!.json(sqlIdent(`c${c.index}`))}, 'null')`);
  const line = cols.length === 0 ? `'{}'` : `concat(${parts.join(', ')}, '}')`;
  return `SELECT ${line} AS line FROM ${renamed(query, columns.names.length)}`;
}

/**
 * A query of one VARCHAR column, `line`: each row of `query` as one CSV record ending in CR (the
 * writer adds the LF): fields as the CLI's `csv` (RFC 4180 quoting, NULL empty); undefined when a
 * column's type has no rule here. The header is `csvHeader`.
 */
export function csvLinesSql(query: string, columns: Columns): string | undefined {
  const cols = outputColumns(columns);
  const rules = cols.map((c) => ruleOf(c.type, 0));
  if (rules.some((r) => r === undefined)) return undefined;
  const fields = cols.map((c, i) => {
    const rule = rules[i]!;
    const text = rule.text(sqlIdent(`c${c.index}`));
    const quote = `contains(${text}, ',') OR contains(${text}, '"') OR contains(${text}, chr(10)) OR contains(${text}, chr(13))`;
    const field = rule.mayNeedQuotes ? `(CASE WHEN ${quote} THEN '"' || replace(${text}, '"', '""') || '"' ELSE ${text} END)` : text;
    return `coalesce(${field}, '')`;
  });
  const line = cols.length === 0 ? `chr(13)` : `concat(${fields.flatMap((f, i) => (i === 0 ? [f] : [`','`, f])).join(', ')}, chr(13))`;
  return `SELECT ${line} AS line FROM ${renamed(query, columns.names.length)}`;
}
