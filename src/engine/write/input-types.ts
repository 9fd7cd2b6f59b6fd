/**
 * Typing rules for staged CSV and JSON batches, so no value changes silently on its way in:
 *  - CSV: a column is BOOLEAN only when every value is `true` or `false` (any case), else VARCHAR
 *    (DuckDB alone would read `f`, `t`, `0`, `1` as booleans); a number column whose values have more
 *    than 15 significant digits is DECIMAL(38, s) (s = the most decimals) instead of DOUBLE, and
 *    refused when it does not fit; a timestamp with digits below a microsecond is refused.
 *  - JSON: a column whose values are of more than one JSON type (`1` and `"a"`) is refused; NaN and
 *    ±Infinity in rows given in code stay DOUBLE values.
 *  - Column names that differ only in case (`Val`, `val`) are refused (DuckDB would rename one to
 *    `val_1`; Hudi and Spark resolve names case-insensitively).
 */
import { InvalidInputError } from '../../errors.ts';
import type { DuckSession } from '../../storage/duckdb/session.ts';
import { sqlIdent, sqlString } from '../../storage/duckdb/sql.ts';

/** Where the batch comes from, for messages. */
export interface InputContext {
  readonly table: string;
  /** The input as messages name it (a file path, "the rows given in code"). */
  readonly input: string;
  readonly file?: string;
}

const detail = (ctx: InputContext, value: unknown): { table: string; file?: string; value: unknown } => ({ table: ctx.table, ...(ctx.file ? { file: ctx.file } : {}), value });

const TIMESTAMPTZ = 'TIMESTAMP WITH TIME ZONE';

/** DOUBLE holds 15 significant decimal digits exactly (a 16th or 17th may change on the way back). */
const DOUBLE_DIGITS = 15;

/**
 * The columns a CSV read must take as VARCHAR so `settleCsvColumns` can type them by the rules
 * above: those DuckDB's sniffer calls BOOLEAN, DOUBLE, or TIMESTAMP [WITH TIME ZONE] (ISO text only). `options` are
 * read_csv's dialect options.
 */
export async function csvColumnsToSettle(duck: DuckSession, file: string, options: string): Promise<Map<string, string>> {
  const [sniff] = await duck.rows(`SELECT Columns AS c, TimestampFormat AS tf FROM sniff_csv(${sqlString(file)}, ${options})`);
  const out = new Map<string, string>();
  const columns = (sniff?.c as { items?: unknown[] } | undefined)?.items ?? [];
  for (const c of columns) {
    const { name, type } = (c as { entries: { name: string; type: string } }).entries;
    if (type === 'BOOLEAN' || type === 'DOUBLE' || ((type === 'TIMESTAMP' || type === TIMESTAMPTZ) && (sniff?.tf ?? null) === null)) out.set(name, type);
  }
  return out;
}

/** `types = {...}` for read_csv, reading `columns` as VARCHAR ('' when none). */
export function csvTypesOption(columns: ReadonlyMap<string, string>): string {
  if (columns.size === 0) return '';
  return `, types = {${[...columns.keys()].map((n) => `${sqlString(n)}: 'VARCHAR'`).join(', ')}}`;
}

/**
 * Types the VARCHAR columns of a staged CSV table by the rules above (see `csvColumnsToSettle`):
 * one aggregate over them (lengths first: only long values are looked at closely), then one copy of
 * the table with the columns cast.
 */
export async function settleCsvColumns(duck: DuckSession, target: string, columns: ReadonlyMap<string, string>, ctx: InputContext): Promise<void> {
  if (columns.size === 0) return;
  const cols = [...columns];
  const v = (name: string): string => `nullif(trim(${sqlIdent(name)}), '')`;
  const stats = cols.map(([name, sniffed], i) => {
    if (sniffed === 'BOOLEAN') return `bool_and(lower(${v(name)}) IN ('true', 'false')) AS s${i}`;
    // A timestamp with 7+ fraction digits is longer than `yyyy-mm-dd hh:mm:ss.ffffff` (26 characters).
    if (sniffed === 'TIMESTAMP' || sniffed === TIMESTAMPTZ) return `min(rowid) FILTER (WHERE length(${v(name)}) > 26 AND regexp_matches(${v(name)}, '[0-9]:[0-9]{2}\\.[0-9]{7,}')) AS s${i}`;
    return `max(length(${v(name)})) AS s${i}`;
  });
  const [r] = await duck.rows(`SELECT ${stats.join(', ')} FROM ${target}`);
  const casts: string[] = [];
  for (const [i, [name, sniffed]] of cols.entries()) {
    const stat = r?.[`s${i}`] ?? null;
    if (sniffed === 'BOOLEAN') {
      if (stat === true) casts.push(`CAST(${v(name)} AS BOOLEAN) AS ${sqlIdent(name)}`);
      continue;
    }
    if (sniffed === 'TIMESTAMP' || sniffed === TIMESTAMPTZ) {
      if (stat !== null) {
        const [bad] = await duck.rows(`SELECT ${sqlIdent(name)} AS v FROM ${target} WHERE rowid = ${String(stat)}`);
        const value = String(bad?.v);
        throw new InvalidInputError(
          `value "${value}" in column "${name}" (row ${Number(stat) + 1} of ${ctx.input}) has digits below a microsecond, which table ${ctx.table} (a Hudi timestamp, microseconds) cannot store; round or truncate it first`,
          detail(ctx, value),
        );
      }
      casts.push(`CAST(${v(name)} AS ${sniffed === TIMESTAMPTZ ? 'TIMESTAMPTZ' : 'TIMESTAMP'}) AS ${sqlIdent(name)}`);
      continue;
    }
    // DOUBLE, unless a value may have more significant digits than a double holds.
    const type = Number(stat ?? 0) <= DOUBLE_DIGITS ? 'DOUBLE' : await numberType(duck, target, name, v(name), ctx);
    casts.push(`CAST(${v(name)} AS ${type}) AS ${sqlIdent(name)}`);
  }
  if (casts.length === 0) return;
  await duck.run(`CREATE TABLE ${target}_typed AS SELECT * REPLACE (${casts.join(', ')}) FROM ${target}`);
  await duck.run(`DROP TABLE ${target}`);
  await duck.run(`ALTER TABLE ${target}_typed RENAME TO ${target}`);
}

/** DOUBLE, or DECIMAL(38, s) for plain decimals with more than 15 significant digits; refused past 38 digits. */
async function numberType(duck: DuckSession, target: string, name: string, v: string, ctx: InputContext): Promise<string> {
  const digits = `regexp_replace(${v}, '^[+-]?0*', '')`;
  const [r] = await duck.rows(`SELECT
      bool_and(regexp_full_match(${v}, '[+-]?[0-9]*\\.?[0-9]*')) AS plain,
      max(length(ltrim(replace(${digits}, '.', ''), '0'))) AS sig,
      max(length(split_part(${digits}, '.', 1))) AS ints,
      max(length(split_part(${v}, '.', 2))) AS scale
    FROM ${target}`);
  if (r?.plain !== true || Number(r.sig ?? 0) <= DOUBLE_DIGITS) return 'DOUBLE';
  const scale = Number(r.scale ?? 0);
  const ints = Number(r.ints ?? 0);
  if (ints + scale > 38) {
    throw new InvalidInputError(
      `column "${name}" of ${ctx.input} has numbers with ${ints} integer and ${scale} decimal digits, which neither DOUBLE (15 significant digits) nor DECIMAL(38) holds exactly (writing table ${ctx.table}); quote them as text or round them`,
      detail(ctx, name),
    );
  }
  return `DECIMAL(38,${scale})`;
}

/** Turns the named columns of staged rows (NaN/±Infinity written as text) back into DOUBLE. */
export async function settleNonFinite(duck: DuckSession, target: string, columns: ReadonlySet<string>, ctx: InputContext): Promise<void> {
  if (columns.size === 0) return;
  const types = new Map((await duck.rows(`SELECT column_name AS n, column_type AS t FROM (DESCRIBE ${target})`)).map((r) => [String(r.n), String(r.t)]));
  for (const name of columns) {
    const col = sqlIdent(name);
    const text = types.get(name) === 'JSON' ? `json_extract_string(${col}, '$')` : `CAST(${col} AS VARCHAR)`;
    try {
      await duck.run(`ALTER TABLE ${target} ALTER ${col} TYPE DOUBLE USING CAST(${text} AS DOUBLE)`);
    } catch (error) {
      throw new InvalidInputError(`column "${name}" of ${ctx.input} mixes NaN or Infinity with values that are not numbers (writing table ${ctx.table})`, { ...detail(ctx, name), cause: error });
    }
  }
}

/**
 * Refuses a JSON column (DuckDB's JSON type: values of more than one JSON type, which it would
 * store as JSON text, `"a"` with its quotes) whose non-null values are of more than one JSON type.
 */
export async function checkMixedJson(duck: DuckSession, target: string, ctx: InputContext): Promise<void> {
  const json = await duck.column<string>(`SELECT column_name FROM (DESCRIBE ${target}) WHERE column_type = 'JSON'`);
  for (const name of json) {
    const col = sqlIdent(name);
    const kind = `CASE WHEN json_type(${col}) IN ('UBIGINT', 'BIGINT', 'DOUBLE') THEN 'number' ELSE lower(json_type(${col})) END`;
    const rows = await duck.rows(`SELECT ${kind} AS k, min(rowid) AS r FROM ${target} WHERE ${col} IS NOT NULL AND json_type(${col}) <> 'NULL' GROUP BY 1 ORDER BY 2 LIMIT 2`);
    if (rows.length > 1) {
      const [a, b] = rows as [Record<string, unknown>, Record<string, unknown>];
      throw new InvalidInputError(
        `column "${name}" of ${ctx.input} mixes JSON types (${String(a.k)} at row ${Number(a.r) + 1}, ${String(b.k)} at row ${Number(b.r) + 1}); table ${ctx.table} needs one type per column: make every value a string (or a number) in the input`,
        detail(ctx, name),
      );
    }
  }
}

/**
 * Refuses column names that differ only in case. DuckDB renames the second of `Val`, `val` to
 * `val_1`; `sourceNames` gives the input's own names, asked only when a staged name looks renamed.
 */
export async function checkCaseDuplicates(staged: ReadonlyArray<string>, sourceNames: () => Promise<ReadonlyArray<string>>, ctx: InputContext): Promise<void> {
  const lower = new Set(staged.map((n) => n.toLowerCase()));
  const suspect = staged.some((n) => {
    const m = /^(.+)_\d+$/.exec(n);
    return m !== null && lower.has(m[1]!.toLowerCase());
  });
  if (!suspect && lower.size === staged.length) return;
  const seen = new Map<string, string>();
  for (const name of await sourceNames()) {
    const first = seen.get(name.toLowerCase());
    if (first !== undefined && first !== name) {
      throw new InvalidInputError(
        `input ${ctx.input} has columns "${first}" and "${name}", which differ only in case; Hudi and Spark resolve column names ignoring case, so rename one (writing table ${ctx.table})`,
        detail(ctx, name),
      );
    }
    seen.set(name.toLowerCase(), name);
  }
}
