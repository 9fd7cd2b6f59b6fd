/**
 * Renderers of result rows: an aligned text table, JSON lines and CSV (RFC 4180). Values follow the
 * rules of `json-values.ts`; every renderer returns text ending in a newline (or nothing).
 */
import { columnsOfRows, isNumericType, isNumericValue } from '../storage/duckdb/values.ts';
import { rowToJson, toText } from './json-values.ts';
import { fitCell, layoutTable } from './text-table.ts';

export { OUTPUT_FORMATS, type OutputFormat } from './formats.ts';
import type { OutputFormat } from './formats.ts';

type Row = Readonly<Record<string, unknown>>;

export { MAX_CELL_WIDTH } from './text-table.ts';

/** Renders rows in `format`; `columns` gives the header (needed when there are no rows). */
export function renderRows(format: OutputFormat, rows: ReadonlyArray<Row>, columns: ReadonlyArray<string> = columnsOf(rows)): string {
  if (format === 'jsonl') return renderJsonl(rows);
  if (format === 'csv') return renderCsv(rows, columns);
  return renderTable(rows, columns);
}

/** The column names of the first row. */
export function columnsOf(rows: ReadonlyArray<Row>): string[] {
  return rows.length === 0 ? [] : Object.keys(rows[0]!);
}

/** One JSON object per line. */
export function renderJsonl(rows: ReadonlyArray<Row>): string {
  return rows.map((r) => JSON.stringify(rowToJson(r)) + '\n').join('');
}

/** CSV with a header row; fields with a comma, quote, CR or LF are quoted, quotes doubled; NULL is empty. */
export function renderCsv(rows: ReadonlyArray<Row>, columns: ReadonlyArray<string>): string {
  if (columns.length === 0) return '';
  const line = (cells: ReadonlyArray<string>): string => cells.map(csvField).join(',') + '\r\n';
  return line(columns) + rows.map((r) => line(columns.map((c) => toText(r[c]) ?? ''))).join('');
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** An aligned table: header, rule, rows (numbers right-aligned, NULL shown as `NULL`), then the row count. */
export function renderTable(rows: ReadonlyArray<Row>, columns: ReadonlyArray<string>): string {
  // Numbers are right-aligned: by the column's type for a query's rows (a DECIMAL is a string
  // there), by the values otherwise.
  const result = columnsOfRows(rows);
  const types = new Map(result?.names.map((name, i) => [name, result.types[i]!]));
  const numeric = columns.map((c) => {
    const type = types.get(c);
    const isNumber = type === undefined ? isNumericValue : () => isNumericType(type);
    return rows.length > 0 && rows.every((r) => r[c] === null || r[c] === undefined || isNumber(r[c]));
  });
  return layoutTable(columns, rows.map((r) => columns.map((c) => fitCell(toText(r[c]) ?? 'NULL'))), numeric);
}
