/**
 * `tidemark_scan('path' [, as_of => 'T'] [, since => 'T'] [, until => 'T'])` in user SQL, and
 * `tidemark_changes('path' [, since => 'T'] [, until => 'T'])` for the change feed. DuckDB has
 * no table functions written in JavaScript, so each call is replaced by the read's SELECT before the
 * statement runs.
 */
import { InvalidArgumentError } from '../../errors.ts';
import type { ReadOptions } from './read.ts';

const CALL = /tidemark_(scan|changes)\s*\(\s*'((?:[^']|'')*)'((?:\s*,\s*[a-z_]+\s*=>\s*'(?:[^']|'')*')*)\s*\)/gi;
const ARG = /([a-z_]+)\s*=>\s*'((?:[^']|'')*)'/gi;

/** One `tidemark_scan` call found in a statement. */
export interface ScanCall {
  readonly text: string;
  readonly path: string;
  readonly options: ReadOptions;
}

/** Finds the `tidemark_scan` calls of a statement. */
export function findScanCalls(sql: string): ScanCall[] {
  const calls: ScanCall[] = [];
  for (const m of sql.matchAll(CALL)) {
    const changes = m[1]!.toLowerCase() === 'changes';
    const options: { asOf?: string; since?: string; until?: string; changes?: boolean } = changes ? { changes } : {};
    for (const a of (m[3] ?? '').matchAll(ARG)) {
      const name = a[1]!.toLowerCase();
      const value = a[2]!.replaceAll("''", "'");
      if (name === 'as_of' && !changes) options.asOf = value;
      else if (name === 'since') options.since = value;
      else if (name === 'until') options.until = value;
      else throw new InvalidArgumentError(`tidemark_${m[1]} has no argument "${name}" (use ${changes ? 'since, until' : 'as_of, since, until'})`, { value: name });
    }
    calls.push({ text: m[0], path: m[2]!.replaceAll("''", "'"), options });
  }
  return calls;
}

/** Replaces each call with `(subquery)` given by `resolve`. */
export async function rewriteScans(sql: string, resolve: (call: ScanCall) => Promise<string>): Promise<string> {
  let out = sql;
  for (const call of findScanCalls(sql)) out = out.replace(call.text, `(${await resolve(call)})`);
  return out;
}
