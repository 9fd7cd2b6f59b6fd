/**
 * Data-quality checks, evaluated in DuckDB on the batch as it would be written (after precombine),
 * before anything is committed. A failing check fails the run; the log says which and how many rows.
 */
import { InvalidArgumentError, messageOf } from '../errors.ts';
import type { DuckSession } from '../storage/duckdb/session.ts';
import { sqlIdent, sqlString } from '../storage/duckdb/sql.ts';
import type { CheckDefinition } from './definition.ts';

/** The outcome of one check. */
export interface CheckResult {
  readonly check: string;
  /** Rows that break it (for `min_rows`: how many rows were missing). */
  readonly failing: number;
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

function failingSql(check: CheckDefinition, relation: string): string {
  switch (check.kind) {
    case 'not_null':
      return `SELECT count(*) FROM ${relation} WHERE ${sqlIdent(check.column)} IS NULL`;
    case 'unique': {
      const cols = [check.column].flat().map(sqlIdent).join(', ');
      return `SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM ${relation} GROUP BY ${cols} HAVING count(*) > 1)`;
    }
    case 'accepted_values':
      return `SELECT count(*) FROM ${relation} WHERE ${sqlIdent(check.column)} IS NOT NULL AND ${sqlIdent(check.column)} NOT IN (${check.values.map(literal).join(', ')})`;
    case 'range': {
      const col = sqlIdent(check.column);
      const terms = [
        ...(check.min === undefined ? [] : [`${col} < ${literal(check.min)}`]),
        ...(check.max === undefined ? [] : [`${col} > ${literal(check.max)}`]),
      ];
      return `SELECT count(*) FROM ${relation} WHERE ${terms.length === 0 ? 'false' : terms.join(' OR ')}`;
    }
    case 'min_rows':
      return `SELECT greatest(${Math.floor(check.count)} - count(*), 0) FROM ${relation}`;
    case 'sql':
      return `SELECT count(*) FROM ${relation} WHERE NOT coalesce((${check.predicate}), false)`;
  }
}

/** Runs every check on `relation`; a check that cannot be evaluated (bad column, bad SQL) is an error naming it. */
export async function runChecks(duck: DuckSession, relation: string, checks: ReadonlyArray<CheckDefinition>, pipeline: string): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    let failing: number;
    try {
      const [n] = await duck.column<bigint | number>(failingSql(check, relation));
      failing = Number(n ?? 0);
    } catch (error) {
      throw new InvalidArgumentError(`check ${describeCheck(check)} of pipeline ${pipeline} cannot be evaluated: ${messageOf(error)}`, { value: describeCheck(check), cause: error });
    }
    results.push({ check: describeCheck(check), failing });
  }
  return results;
}
