/**
 * `read` and `sql` in the csv, jsonl and parquet formats: a query's rows written out as they come,
 * with memory bounded whatever the result's size, to stdout or to `--output FILE`.
 *
 *   parquet      DuckDB's `COPY … (FORMAT parquet)` into the file.
 *   csv, jsonl   DuckDB renders each row as a line of text by the CLI's value rules
 *                (`storage/duckdb/text-sql.ts`) and writes the lines with `COPY` into a named pipe,
 *                which `stream-fifo.ts` forwards to stdout or the file (as fast as DuckDB's own export).
 *                A column of a type without a SQL rule (MAP, INTERVAL, …), or a system without named
 *                pipes, falls back to rows streamed through JavaScript a chunk at a time (slower, same text).
 *
 * A reader that stops early (a closed pipe) ends the export quietly; an export that fails leaves no
 * `--output` file (see `stream-sink.ts`), but what already went to stdout stays there.
 */
import { InvalidArgumentError } from '../errors.ts';
import { type PreparedQuery, queryError } from '../engine/read/read-stream.ts';
import type { DuckSession } from '../storage/duckdb/session.ts';
import { sqlIdent, sqlString } from '../storage/duckdb/sql.ts';
import { csvLinesSql, deduplicatedNames, jsonLinesSql, outputColumns } from '../storage/duckdb/text-sql.ts';
import type { CliIo } from './main.ts';
import { csvHeader, csvRecords, renderJsonl } from './output.ts';
import { copyThroughFifo, makeFifo } from './stream-fifo.ts';
import { type Progress, noProgress } from './progress.ts';
import { type Sink, fileSink, outputFile, stdoutSink } from './stream-sink.ts';

/** The formats written here. */
export type ExportFormat = 'csv' | 'jsonl' | 'parquet';

/** Where and how to export. */
export interface ExportOptions {
  readonly format: ExportFormat;
  /** `--output FILE`; without it, stdout through `io` (not for parquet). */
  readonly output?: string | undefined;
  readonly io: CliIo;
  /** What the query does, for error messages (`reading /data/orders`, `the SQL statement`). */
  readonly what: string;
  /**
   * The query only scans and filters (`read`): a text export then runs with DuckDB's memory limit at
   * most TEXT_EXPORT_MIB. DuckDB keeps the lines of batches that are ahead of the one being written
   * (to write them in order) up to its memory limit: a 2 KB-row export peaked at 670-780 MiB RSS with
   * the default 1 GiB, 440-475 MiB with 512 MiB, and grows with the row's width. A `sql` query may
   * need the memory for itself (sorts, joins), so it keeps the default.
   */
  readonly scanOnly?: boolean;
  /** Shown on a terminal while the export runs (rows counted as lines written); see `progress.ts`. */
  readonly progress?: Progress;
}

/** DuckDB's memory limit for a text export of a read (see `ExportOptions.scanOnly`). */
export const TEXT_EXPORT_MIB = 512;

/** Exports `query`'s rows. Errors name `options.what`; a partial `--output` file is removed. */
export async function exportQuery(duck: DuckSession, query: PreparedQuery, options: ExportOptions): Promise<void> {
  const format = options.format;
  if (format === 'parquet') return exportParquet(duck, query, options);
  const sink = counting(options.output === undefined ? stdoutSink(options.io) : await fileSink(options.output), options.progress ?? noProgress, format === 'csv');
  try {
    const run = (): Promise<void> => streamLines(duck, query, format, sink);
    await (options.scanOnly === true ? duck.withMemoryLimitAtMost(TEXT_EXPORT_MIB, run) : run());
    await sink.finish();
  } catch (error) {
    await sink.abort();
    throw queryError(options.what, error);
  }
}

/** Writes `text` (rows rendered whole, for results that cannot stream) to stdout or `--output`. */
export async function exportText(text: string, options: Pick<ExportOptions, 'output' | 'io'>): Promise<void> {
  const sink = options.output === undefined ? stdoutSink(options.io) : await fileSink(options.output);
  try {
    if (text !== '') await sink.write(text);
    await sink.finish();
  } catch (error) {
    await sink.abort();
    throw error;
  }
}

async function exportParquet(duck: DuckSession, query: PreparedQuery, options: ExportOptions): Promise<void> {
  if (options.output === undefined) throw new InvalidArgumentError('--format parquet needs --output FILE');
  const out = outputFile(options.output);
  // Columns that share a name get the names rows have (`a`, `a:1`): Parquet needs them distinct.
  const names = deduplicatedNames(query.columns.names).map(sqlIdent);
  options.progress?.note(`writing ${options.output}`);
  try {
    await duck.run(`COPY (SELECT * FROM (\n${query.sql}\n) AS q(${names.join(', ')})) TO ${sqlString(out.temp)} (FORMAT parquet)`);
  } catch (error) {
    await out.discard();
    throw queryError(options.what, error);
  }
  await out.commit();
}

/** Writes the rows as CSV records or JSON lines to `sink`; stops when the sink's reader has gone. */
async function streamLines(duck: DuckSession, query: PreparedQuery, format: 'csv' | 'jsonl', sink: Sink): Promise<void> {
  const names = outputColumns(query.columns).map((c) => c.name);
  // The header goes out with the first rows, so a query that fails at once prints nothing.
  const out = withHeader(sink, format === 'csv' ? csvHeader(names) : '');
  const lines = format === 'csv' ? csvLinesSql(query.sql, query.columns) : jsonLinesSql(query.sql, query.columns);
  const fifo = lines === undefined ? undefined : makeFifo();
  if (lines !== undefined && fifo !== undefined) {
    try {
      // QUOTE '' and ESCAPE '': DuckDB writes each line as it is, then a LF.
      await copyThroughFifo(duck, fifo, (target) => `COPY (${lines}) TO ${sqlString(target)} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', USE_TMP_FILE false, COMPRESSION 'none')`, out);
    } finally {
      fifo.remove();
    }
  } else {
    await duck.streamRows(query.sql, (rows) => out.write(format === 'csv' ? csvRecords(rows, names) : renderJsonl(rows)));
  }
  await out.finish();
}

/**
 * `sink`, telling `progress` the rows written so far: the lines, less a CSV header (a value with a
 * line break counts twice; it is a progress line). Counted only when progress is shown.
 */
function counting(sink: Sink, progress: Progress, header: boolean): Sink {
  if (progress === noProgress) return sink;
  let lines = header ? -1 : 0;
  return {
    write: (chunk) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) lines++;
      progress.update(Math.max(lines, 0));
      return sink.write(chunk);
    },
    finish: () => sink.finish(),
    abort: () => sink.abort(),
  };
}

/**
 * `sink` with `header` written before its first chunk, or at `finish` when no chunk came; its
 * `finish` and `abort` leave `sink` itself to its owner.
 */
function withHeader(sink: Sink, header: string): Sink {
  let started = header === '';
  const start = async (): Promise<boolean> => {
    if (started) return true;
    started = true;
    return sink.write(header);
  };
  return {
    write: async (chunk) => (await start()) && sink.write(chunk),
    finish: async () => {
      await start();
    },
    abort: async () => undefined,
  };
}
