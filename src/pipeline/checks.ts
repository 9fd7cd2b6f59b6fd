/**
 * Data-quality checks, evaluated in DuckDB on the batch as it would be written (after precombine),
 * before anything is committed. A failing check fails the run, and says which rows: a count is not
 * enough to fix data, so each failing check also returns up to {@link MAX_SAMPLES} of its rows, by
 * record key, with the values that break it (`accepted_values(tier): 3 rows fail, e.g. id=7
 * tier='gold ', …`).
 */
import { InvalidArgumentError, messageOf } from '../errors.ts';
import type { DuckSession } from '../storage/duckdb/session.ts';
import { sqlIdent, sqlString } from '../storage/duckdb/sql.ts';
import type { CheckDefinition } from './definition.ts';
import type { UniqueScope } from './unique-scope.ts';

/** How many failing rows a check reports. */
export const MAX_SAMPLES = 5;
/** Longer sample values are cut (the sample is for finding the row, not for reading the value). */
const MAX_VALUE_CHARS = 40;

/** One failing row: its record key and the values the check looked at, as text (NULL as null). */
export interface CheckSample {
  readonly key: Readonly<Record<string, string | null>>;
  readonly values: Readonly<Record<string, string | null>>;
  /** The row as messages show it: `id=7 tier='gold '` (text quoted, NULL bare). */
  readonly text: string;
}

/** The outcome of one check. */
export interface CheckResult {
  readonly check: string;
  readonly kind: CheckDefinition['kind'];
  /** Rows that break it (for `min_rows`: how many rows were missing). */
  readonly failing: number;
  /** Up to {@link MAX_SAMPLES} failing rows in record-key order (none for `min_rows`, or when it passes). */
  readonly samples: ReadonlyArray<CheckSample>;
}

const literal = (v: string | number | boolean): string => (typeof v === 'string' ? sqlString(v) : String(v));

/** A short name for a check, as logs and errors show it. */
export function describeCheck(check: CheckDefinition): string {
  switch (check.kind) {
    case 'not_null': return `not_null(${check.column})`;
    case 'unique': return `unique(${[check.column].flat().join(', ')})`;
    case 'accepted_values': return `accepted_values(${check.column})`;
    case 'range': return `range(${check.column}${check.min === undefined ? '' : ` >= ${check.min}`}${check.max === undefined ? '' : ` <= ${check.max}`})`;
    case 'min_rows': return `min_rows(${check.count})`;
    case 'sql': return check.name ?? `sql(${check.predicate})`;
  }
}

/**
 * The failing rows of a row-level check, as a filter on `relation`: a WHERE condition, or (for
 * `unique`, whose NULLs group together as GROUP BY's do) a QUALIFY over a window.
 */
function failingFilter(check: Exclude<CheckDefinition, { kind: 'min_rows' }>): string {
  switch (check.kind) {
    case 'not_null':
      return `WHERE ${sqlIdent(check.column)} IS NULL`;
    case 'unique':
      return `QUALIFY count(*) OVER (PARTITION BY ${[check.column].flat().map(sqlIdent).join(', ')}) > 1`;
    case 'accepted_values':
      return `WHERE ${sqlIdent(check.column)} IS NOT NULL AND ${sqlIdent(check.column)} NOT IN (${check.values.map(literal).join(', ')})`;
    case 'range': {
      const col = sqlIdent(check.column);
      const terms = [
        ...(check.min === undefined ? [] : [`${col} < ${literal(check.min)}`]),
        ...(check.max === undefined ? [] : [`${col} > ${literal(check.max)}`]),
      ];
      return `WHERE ${terms.length === 0 ? 'false' : terms.join(' OR ')}`;
    }
    case 'sql':
      return `WHERE NOT coalesce((${check.predicate}), false)`;
  }
}

/**
 * The columns a check looks at. For an `sql` check, the relation's columns its predicate names
 * (outside string literals), since a predicate's columns are what a reader needs to see.
 */
function checkedColumns(check: CheckDefinition, columns: ReadonlyArray<string>): string[] {
  switch (check.kind) {
    case 'min_rows': return [];
    case 'unique': return [check.column].flat();
    case 'sql': {
      const words = new Set((check.predicate.replace(/'(?:[^']|'')*'/g, ' ').match(/"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*/g) ?? []).map((w) => (w.startsWith('"') ? w.slice(1, -1).replaceAll('""', '"') : w).toLowerCase()));
      return columns.filter((c) => words.has(c.toLowerCase()));
    }
    default: return [check.column];
  }
}

/** A value as messages show it: text types quoted (so `'gold '` shows its space), NULL bare. */
function showValue(value: string | null, quoted: boolean): string {
  if (value === null) return 'NULL';
  const flat = value.replace(/\r\n|\r|\n/g, '\\n');
  const cut = flat.length > MAX_VALUE_CHARS ? `${flat.slice(0, MAX_VALUE_CHARS - 1)}…` : flat;
  return quoted ? sqlString(cut) : cut;
}

const UNQUOTED = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL.*|BOOLEAN)$/;

/** Up to MAX_SAMPLES failing rows of `check`, in record-key order, with their key and checked values. */
async function samplesOf(
  duck: DuckSession,
  relation: string,
  check: Exclude<CheckDefinition, { kind: 'min_rows' }>,
  recordKey: ReadonlyArray<string>,
  context: ReadonlyArray<string> = [],
): Promise<CheckSample[]> {
  const described = await duck.describe(`SELECT * FROM ${relation}`);
  const typeOf = new Map(described.names.map((n, i) => [n, described.types[i]!.toString()]));
  const key = recordKey.filter((k) => typeOf.has(k));
  const checked = [...checkedColumns(check, described.names), ...context].filter((c, i, all) => typeOf.has(c) && !key.includes(c) && all.indexOf(c) === i);
  const shown = [...key, ...checked];
  if (shown.length === 0) return [];
  const select = shown.map((c, i) => `CAST(${sqlIdent(c)} AS VARCHAR) AS c${i}`).join(', ');
  // Duplicates sort next to each other; otherwise rows come in key order, so samples are stable.
  const order = (check.kind === 'unique' ? [...checked, ...key] : [...key, ...checked]).map(sqlIdent).join(', ');
  const rows = await duck.rows(`SELECT ${select} FROM ${relation} ${failingFilter(check)} ORDER BY ${order} LIMIT ${MAX_SAMPLES}`);
  return rows.map((row) => {
    const text = (i: number): string | null => (row[`c${i}`] === null ? null : String(row[`c${i}`]));
    const pick = (cols: ReadonlyArray<string>, offset: number): Record<string, string | null> => Object.fromEntries(cols.map((c, i) => [c, text(offset + i)]));
    return {
      key: pick(key, 0),
      values: pick(checked, key.length),
      text: shown.map((c, i) => `${c}=${showValue(text(i), !UNQUOTED.test(typeOf.get(c)!))}`).join(' '),
    };
  });
}

/**
 * Runs every check on `relation`; a check that cannot be evaluated (bad column, bad SQL) is an error
 * naming it. `recordKey` (the target's) names the sample rows. `unique` checks run over
 * `uniqueScope` when given (the target as the write would leave it, see `unique-scope.ts`), their
 * samples showing its context columns (the partition fields) too.
 */
export async function runChecks(
  duck: DuckSession,
  relation: string,
  checks: ReadonlyArray<CheckDefinition>,
  pipeline: string,
  recordKey: ReadonlyArray<string> = [],
  uniqueScope?: UniqueScope,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    try {
      if (check.kind === 'min_rows') {
        const [n] = await duck.column<bigint | number>(`SELECT greatest(${Math.floor(check.count)} - count(*), 0) FROM ${relation}`);
        results.push({ check: describeCheck(check), kind: check.kind, failing: Number(n ?? 0), samples: [] });
        continue;
      }
      const scoped = check.kind === 'unique' && uniqueScope !== undefined ? uniqueScope : { relation, context: [] };
      const [n] = await duck.column<bigint | number>(`SELECT count(*) FROM (SELECT 1 FROM ${scoped.relation} ${failingFilter(check)})`);
      const failing = Number(n ?? 0);
      results.push({ check: describeCheck(check), kind: check.kind, failing, samples: failing === 0 ? [] : await samplesOf(duck, scoped.relation, check, recordKey, scoped.context) });
    } catch (error) {
      throw new InvalidArgumentError(`check ${describeCheck(check)} of pipeline ${pipeline} cannot be evaluated: ${messageOf(error)}`, { value: describeCheck(check), cause: error });
    }
  }
  return results;
}

/** One failing check on one line: `accepted_values(tier): 3 rows fail, e.g. id=7 tier='gold ', id=9 tier='x'`. */
export function describeFailure(result: CheckResult): string {
  const n = result.failing;
  if (result.kind === 'min_rows') return `${result.check}: ${n} row${n === 1 ? '' : 's'} short`;
  const head = `${result.check}: ${n} row${n === 1 ? ' fails' : 's fail'}`;
  return result.samples.length === 0 ? head : `${head}, e.g. ${result.samples.map((s) => s.text).join(', ')}`;
}

/**
 * A run's error for its failing checks: one check on one line; several as a first line naming
 * them (what a one-line summary shows), then one line each.
 */
export function checksFailedMessage(failed: ReadonlyArray<CheckResult>): string {
  if (failed.length === 1) return `check failed: ${describeFailure(failed[0]!)}`;
  return [`${failed.length} checks failed: ${failed.map((c) => c.check).join(', ')}`, ...failed.map((c) => `  ${describeFailure(c)}`)].join('\n');
}
