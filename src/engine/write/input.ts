/**
 * Getting a batch into DuckDB: from a Parquet, CSV or JSON file (a JSON array or newline-delimited),
 * from an array of rows, or from any DuckDB query. A Parquet file is not copied: it is read through a
 * view (re-reading it is cheaper than holding a copy of a large batch in memory); everything else
 * lands in an in-memory table. Either way the staged relation has a row-number column giving the
 * input order (the tie-breaker of precombine: the later record wins).
 */
import path from 'node:path';
import { InvalidArgumentError, InvalidInputError, messageOf } from '../../errors.ts';
import type { FileStore } from '../../storage/file-store.ts';
import type { Columns, DuckSession } from '../../storage/duckdb/session.ts';
import { sqlString } from '../../storage/duckdb/sql.ts';
import { type InputContext, checkCaseDuplicates, checkMixedJson, csvColumnsToSettle, csvTypesOption, settleCsvColumns, settleNonFinite } from './input-types.ts';
import { removeRowFile, writeRowFile } from '../../storage/row-files.ts';

export { INPUT_FORMATS, type InputFormat } from './operations.ts';
import type { InputFormat } from './operations.ts';
import { WC } from './working-columns.ts';

/** A batch to write. */
export type WriteInput =
  | { readonly file: string; readonly format?: InputFormat }
  | { readonly rows: ReadonlyArray<Readonly<Record<string, unknown>>> }
  | { readonly query: string; /** How messages name the query's rows (default "the input query"). */ readonly label?: string };

/** Guesses a file's format from its extension. */
export function formatOf(file: string): InputFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.json' || ext === '.jsonl' || ext === '.ndjson') return 'json';
  return undefined;
}

/** A short description of an input for messages: the file path, "rows" or "query". */
export function describeInput(input: WriteInput): string {
  if ('file' in input) return input.file;
  return 'rows' in input ? `${input.rows.length} rows given in code` : (input.label ?? 'the input query');
}

/** read_csv's options for a file: the dialect is pinned (left to sniff, DuckDB reads a broken file as one text column instead of failing). */
function csvOptions(file: string): string {
  const delim = path.extname(file).toLowerCase() === '.tsv' ? '\t' : ',';
  return `header = true, delim = '${delim}', quote = '"', escape = '"', strict_mode = true`;
}

/**
 * A DuckDB table function reading `files` (one or more, same format; columns united by name);
 * `csvTypes` is read_csv's `, types = {...}` for a staged CSV file (see `input-types.ts`).
 */
export function readFilesSql(files: ReadonlyArray<string>, format: InputFormat, csvTypes = ''): string {
  const f = files.length === 1 ? sqlString(files[0]!) : `[${files.map(sqlString).join(', ')}]`;
  const union = files.length > 1 ? ', union_by_name = true' : '';
  if (format === 'parquet') return `read_parquet(${f}, hive_partitioning = false${union})`;
  if (format === 'csv') return `read_csv(${f}, ${csvOptions(files[0] ?? '')}${union}${csvTypes})`;
  return `read_json(${f}, format = 'auto'${union})`;
}

/**
 * The columns of CSV `files` to read as VARCHAR and type by `input-types.ts`'s rules (no text read
 * as BOOLEAN, no long decimal as DOUBLE), sniffing every file (a union by name sniffs each too).
 * A file the sniffer cannot read is left to the read itself, which reports it with its line.
 */
export async function csvColumnsOfFiles(duck: DuckSession, files: ReadonlyArray<string>): Promise<Map<string, string>> {
  const all = new Map<string, string>();
  for (const file of files) {
    const columns = await csvColumnsToSettle(duck, file, csvOptions(file)).catch(() => new Map<string, string>());
    for (const [name, type] of columns) if (!all.has(name)) all.set(name, type);
  }
  return all;
}

/** Values JSON cannot carry become strings DuckDB can cast back (bigint beyond 2^53, dates). */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return value;
}

/**
 * Rows as JSON lines. JSON has no NaN or ±Infinity: at the top level of a row they are written as
 * text and their columns are returned, to be cast back to DOUBLE once staged; deeper down they are
 * refused (JSON.stringify would write null).
 */
function rowsAsJsonLines(rows: ReadonlyArray<Readonly<Record<string, unknown>>>, table: string): { text: string; nonFinite: Set<string> } {
  const nonFinite = new Set<string>();
  const lines = rows.map((row, i) =>
    JSON.stringify(row, function (this: unknown, key: string, value: unknown): unknown {
      if (typeof value === 'number' && !Number.isFinite(value)) {
        if (this !== row) {
          throw new InvalidInputError(`row ${i + 1} of the rows given in code has ${String(value)} inside field "${key}" of a nested value, which Tidemark cannot stage; only top-level DOUBLE columns may hold NaN or Infinity (writing table ${table})`, { table, value: key });
        }
        nonFinite.add(key);
        return String(value);
      }
      return jsonReplacer(key, value);
    }),
  );
  return { text: lines.join('\n') + '\n', nonFinite };
}

/**
 * DuckDB's JSON reader accepts an array cut short (`[{...},` with no `]`), which is what a truncated
 * file looks like; refuse it rather than load part of a batch.
 */
async function checkJsonArrayClosed(store: FileStore, file: string, table: string): Promise<void> {
  const size = await store.size(file);
  const edge = 4096;
  const head = new TextDecoder().decode(await store.readBytes(file, 0, Math.min(edge, size))).replace(/^\uFEFF/, '').trimStart();
  if (!head.startsWith('[')) return;
  const tail = new TextDecoder().decode(await store.readBytes(file, Math.max(0, size - edge), edge)).trimEnd();
  if (!tail.endsWith(']')) {
    throw new InvalidInputError(`input file ${file} starts a JSON array that never ends (no closing "]"): the file is truncated or malformed (writing table ${table})`, {
      table,
      file,
    });
  }
}

/** The column of a staged Parquet input that holds the input row number (a table uses `rowid`). */
export const SOURCE_ROW = WC.srcRow;

/**
 * A staged batch: a relation (a table's name, or a parenthesized query over a Parquet file) and the
 * SQL expression of its input row number; `columns` when staging already described it.
 */
export interface StagedInput {
  readonly relation: string;
  readonly row: string;
  readonly columns?: Columns;
}

/**
 * A CSV or JSON file with nothing in it: 0 bytes, only white space, or an empty JSON array `[]`.
 * Such a batch has no rows and no columns (a header-only CSV or a 0-row Parquet file has columns,
 * and is staged like any other).
 */
async function isBlank(store: FileStore, file: string, format: InputFormat): Promise<boolean> {
  const size = await store.size(file);
  if (size === 0) return true;
  if (size > 4096) return false;
  const text = new TextDecoder().decode(await store.readBytes(file, 0, size)).replace(/^\uFEFF/, '').trim();
  return text === '' || (format === 'json' && /^\[\s*\]$/.test(text));
}

/**
 * Stages `input`: a Parquet file is read in place, anything else is copied into the new in-memory
 * table `target`. Returns undefined for a batch with neither rows nor columns (an empty array of
 * rows, a blank CSV or JSON file, `[]`). Raises `InvalidInputError` naming the file and `table` when
 * the input is missing or cannot be parsed (a 0-byte Parquet file is not Parquet: even an empty one
 * has a footer).
 */
export async function stageInput(
  duck: DuckSession,
  store: FileStore,
  input: WriteInput,
  target: string,
  table: string,
): Promise<StagedInput | undefined> {
  const staged: StagedInput = { relation: target, row: 'rowid' };
  const ctx: InputContext = { table, input: describeInput(input), ...('file' in input ? { file: input.file } : {}) };
  const from = async (source: string, what: string): Promise<StagedInput> => {
    try {
      await duck.run(`CREATE TABLE ${target} AS SELECT * FROM ${source}`);
      return staged;
    } catch (error) {
      throw new InvalidInputError(`cannot read ${what} for table ${table}: ${messageOf(error)}`, {
        table,
        ...('file' in input ? { file: input.file } : {}),
        cause: error,
      });
    }
  };
  const names = async (): Promise<string[]> => duck.column<string>(`SELECT column_name FROM (DESCRIBE ${target})`);
  if ('file' in input) {
    const format = input.format ?? formatOf(input.file);
    if (format === undefined) {
      throw new InvalidArgumentError(`cannot tell the format of input file ${input.file}; name it .parquet, .csv or .json, or give the format`, {
        table,
        file: input.file,
      });
    }
    if (!(await store.exists(input.file))) {
      throw new InvalidInputError(`input file ${input.file} does not exist (writing table ${table})`, { table, file: input.file });
    }
    if (format !== 'parquet' && (await isBlank(store, input.file, format))) return undefined;
    if (format === 'json') await checkJsonArrayClosed(store, input.file, table);
    if (format === 'parquet') {
      const read = await parquetRelation(duck, input.file);
      if (read !== undefined) return read;
    }
    const what = `input file ${input.file} as ${format}`;
    // A file the sniffer cannot read is reported by the read itself, with the table and file.
    const settle = format === 'csv' ? await csvColumnsToSettle(duck, input.file, csvOptions(input.file)).catch(() => new Map<string, string>()) : new Map<string, string>();
    const result = await from(readFilesSql([input.file], format, csvTypesOption(settle)), what);
    const file = input.file;
    await checkCaseDuplicates(await names(), async () =>
      format === 'csv'
        ? Object.values((await duck.rows(`SELECT * FROM read_csv(${sqlString(file)}, ${csvOptions(file).replace('header = true', 'header = false')}, all_varchar = true) LIMIT 1`))[0] ?? {}).map(String)
        : format === 'json'
          ? duck.column<string>(`SELECT DISTINCT unnest(json_keys(json)) FROM read_json_objects(${sqlString(file)}, format = 'auto')`)
          : names(),
    ctx);
    if (format === 'csv') await settleCsvColumns(duck, target, settle, ctx);
    if (format === 'json') await checkMixedJson(duck, target, ctx);
    return result;
  }
  if ('query' in input) {
    return from(`(${input.query})`, describeInput(input));
  }
  if (input.rows.length === 0) return undefined;
  const { text, nonFinite } = rowsAsJsonLines(input.rows, table);
  const file = await writeRowFile(text);
  try {
    await from(`read_json(${sqlString(file)}, format = 'newline_delimited')`, 'the rows given in code');
  } finally {
    await removeRowFile(file);
  }
  await checkCaseDuplicates(await names(), async () => [...new Set(input.rows.flatMap((r) => Object.keys(r)))], ctx);
  await settleNonFinite(duck, target, nonFinite, ctx);
  await checkMixedJson(duck, target, ctx);
  return staged;
}

/**
 * A query over a Parquet file with its row number as `SOURCE_ROW` (read in place: no copy, and no
 * view to create and drop); undefined when DuckDB cannot number the rows (the file has its own
 * `file_row_number` column) or cannot open the file, so the caller stages a copy (and reports the
 * error) instead.
 */
async function parquetRelation(duck: DuckSession, file: string): Promise<StagedInput | undefined> {
  const relation = `(SELECT * EXCLUDE (file_row_number), file_row_number AS ${SOURCE_ROW}
      FROM read_parquet(${sqlString(file)}, hive_partitioning = false, file_row_number = true))`;
  try {
    return { relation, row: SOURCE_ROW, columns: await duck.describe(`SELECT * FROM ${relation}`) };
  } catch {
    return undefined;
  }
}
