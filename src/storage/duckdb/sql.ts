/** Quoting for DuckDB SQL text built by Tidemark. Every identifier and literal goes through these. */

/** A string literal: `'it''s'`. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A quoted identifier: `"my ""col"""`. */
export function sqlIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A list literal of strings: `['a', 'b']`. */
export function sqlStringList(values: Iterable<string>): string {
  return `[${[...values].map(sqlString).join(', ')}]`;
}
