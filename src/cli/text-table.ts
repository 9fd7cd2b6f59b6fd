/**
 * The aligned text table of the CLI, for rows of plain values (the summaries of `status`,
 * `daily-run`, `tables`, `commits`): no DuckDB here, so those commands start without loading it.
 * `output.ts` renders query results with the same layout.
 */

/** Cells longer than this are cut with `…`. */
export const MAX_CELL_WIDTH = 60;

/** Header, rule, one line per row (numeric columns right-aligned), then the row count (or `footer`, a line of its own). */
export function layoutTable(columns: ReadonlyArray<string>, cells: ReadonlyArray<ReadonlyArray<string>>, numeric: ReadonlyArray<boolean>, footerText?: string): string {
  const footer = `${footerText ?? `(${cells.length} row${cells.length === 1 ? '' : 's'})`}\n`;
  if (columns.length === 0) return footer;
  const header = columns.map(fitCell);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: ReadonlyArray<string>): string =>
    row
      .map((text, i) => (numeric[i] ? text.padStart(widths[i]!) : text.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd() + '\n';
  const rule = widths.map((w) => '-'.repeat(w)).join('  ') + '\n';
  return line(header) + rule + cells.map(line).join('') + footer;
}

/** A cell's text on one line, cut to {@link MAX_CELL_WIDTH}. */
export function fitCell(text: string): string {
  const flat = text.replace(/\r\n|\r|\n/g, '\\n').replace(/\t/g, ' ');
  return flat.length > MAX_CELL_WIDTH ? `${flat.slice(0, MAX_CELL_WIDTH - 1)}…` : flat;
}

/** A table of plain values: numbers and bigints right-aligned, `Date`s as ISO text, null as `NULL`. */
export function renderTable(rows: ReadonlyArray<Readonly<Record<string, unknown>>>, columns: ReadonlyArray<string>): string {
  const text = (v: unknown): string => (v === null || v === undefined ? 'NULL' : v instanceof Date ? v.toISOString() : Array.isArray(v) ? JSON.stringify(v) : String(v));
  const numeric = columns.map((c) => rows.length > 0 && rows.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === 'number' || typeof r[c] === 'bigint'));
  return layoutTable(columns, rows.map((r) => columns.map((c) => fitCell(text(r[c])))), numeric);
}
