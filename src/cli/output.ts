/**
 * Renderers of result rows: an aligned text table, JSON lines and CSV (RFC 4180). Values follow the
 * rules of `json-values.ts`; every renderer returns text ending in a newline (or nothing). Large
 * results do not come here whole: `stream-export.ts` has DuckDB render them (by the same rules), or
 * renders them here a chunk of rows at a time (`renderJsonl`, `csvRecords`).
 */
import { type Columns, columnsOfRows, isNumericType, isNumericValue } from '../storage/duckdb/values.ts';
import { rowToJson, toText } from './json-values.ts';
import { fitCell, layoutTable } from './text-table.ts';

export { OUTPUT_FORMATS, type OutputFormat } from './formats.ts';
import type { OutputFormat } from './formats.ts';

type Row = Readonly<Record<string, unknown>>;

export { MAX_CELL_WIDTH } from './text-table.ts';

/** Hudi's meta columns, which the table format hides unless asked (`--meta`). */
export const isMetaColumn = (name: string): boolean => name.startsWith('_hoodie_');

/** Renders rows in `format` (not `parquet`, which is a file); `columns` gives the header (needed when there are no rows). */
export function renderRows(format: Exclude<OutputFormat, 'parquet'>, rows: ReadonlyArray<Row>, columns: ReadonlyArray<string> = columnsOf(rows)): string {
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
  return csvHeader(columns) + csvRecords(rows, columns);
}

/** The CSV header line (nothing when there are no columns). */
export function csvHeader(columns: ReadonlyArray<string>): string {
  return columns.length === 0 ? '' : csvLine(columns);
}

/** CSV records of `rows`, fields in the order of `columns`. */
export function csvRecords(rows: ReadonlyArray<Row>, columns: ReadonlyArray<string>): string {
  if (columns.length === 0) return '';
  return rows.map((r) => csvLine(columns.map((c) => toText(r[c]) ?? ''))).join('');
}

const csvLine = (cells: ReadonlyArray<string>): string => cells.map(csvField).join(',') + '\r\n';

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Options of `renderTable`. */
export interface TableOptions {
  /** The rows' column types (numbers are right-aligned); by default those `plainRows` recorded for `rows`. */
  readonly types?: Columns;
  /** Replaces the row count line. */
  readonly footer?: string;
}

/** An aligned table: header, rule, rows (numbers right-aligned, NULL shown as `NULL`), then the row count. */
export function renderTable(rows: ReadonlyArray<Row>, columns: ReadonlyArray<string>, options: TableOptions = {}): string {
  // Numbers are right-aligned: by the column's type for a query's rows (a DECIMAL is a string
  // there), by the values otherwise.
  const result = options.types ?? columnsOfRows(rows);
  const types = new Map(result?.names.map((name, i) => [name, result.types[i]!]));
  const numeric = columns.map((c) => {
    const type = types.get(c);
    const isNumber = type === undefined ? isNumericValue : () => isNumericType(type);
    return rows.length > 0 && rows.every((r) => r[c] === null || r[c] === undefined || isNumber(r[c]));
  });
  return layoutTable(columns, rows.map((r) => columns.map((c) => fitCell(toText(r[c]) ?? 'NULL'))), numeric, options.footer);
}

/** Options of `renderPreview`. */
export interface PreviewOptions {
  /** At most this many rows are shown (the rows given may hold one more, to tell that there are more). */
  readonly limit: number;
  /** Shows Hudi's `_hoodie_*` columns (hidden otherwise, unless they are all there is). */
  readonly meta: boolean;
}

/**
 * The table format's bounded preview: at most `limit` of `rows` (fetched with one more, so that a
 * further row says the result goes on), with a last line saying so, and without the `_hoodie_*`
 * columns unless `meta`.
 */
export function renderPreview(rows: ReadonlyArray<Row>, columns: ReadonlyArray<string>, options: PreviewOptions): string {
  const shown = rows.slice(0, options.limit);
  const visible = options.meta || columns.every(isMetaColumn) ? columns : columns.filter((c) => !isMetaColumn(c));
  const more = rows.length > options.limit;
  const footer = more
    ? `(${shown.length} row${shown.length === 1 ? '' : 's'} shown; more rows not shown: raise --limit, or export them all with --format csv, jsonl or parquet)`
    : undefined;
  const types = columnsOfRows(rows);
  return renderTable(shown, visible, { ...(types === undefined ? {} : { types }), ...(footer === undefined ? {} : { footer }) });
}
