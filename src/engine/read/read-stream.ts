/**
 * Reads and SQL prepared for streaming (the CLI's exports): the query and its columns, so that a
 * result of any size can be written out chunk by chunk (`cli/stream-export.ts`) instead of becoming
 * an array of rows (`Tidemark#read`, `#sql`). Errors before the first row are the engine's own: a
 * query that does not bind is run through `Tidemark#read` / `#sql` with no rows asked for, which
 * names a missing base file, tells a bad filter from a broken table, and starts over when the
 * table's timeline moved. Errors while rows stream are classified by `queryError`.
 */
import { InvalidArgumentError, StorageError, TidemarkError, messageOf } from '../../errors.ts';
import type { Columns } from '../../storage/duckdb/values.ts';
import type { ReadOptions } from './read.ts';
import type { Tidemark } from '../tidemark.ts';

/** A query ready to stream: its SQL and its columns' names and types. */
export interface PreparedQuery {
  readonly sql: string;
  readonly columns: Columns;
}

/** The query of `tm.read(basePath, options)`, with its columns. */
export async function prepareRead(tm: Tidemark, basePath: string, options: ReadOptions): Promise<PreparedQuery> {
  const sql = await tm.readSql(basePath, options);
  try {
    return { sql, columns: (await tm.duck.prepareColumns(sql)).columns };
  } catch {
    // The engine's read says why (and retries when a clean or restore changed the table meanwhile).
    await tm.read(basePath, { ...options, limit: 0 });
    const again = await tm.readSql(basePath, options);
    try {
      return { sql: again, columns: (await tm.duck.prepareColumns(again)).columns };
    } catch (retryError) {
      throw queryError(`reading ${basePath}`, retryError);
    }
  }
}

/**
 * `statement` (SQL with `tidemark_scan` calls, as `Tidemark#sql` takes) as one query with its
 * columns, or undefined when it is not one query (several statements, DDL, `SET`, …, or a query
 * that fails: `Tidemark#sql` then runs it as it is, and raises its error). A trailing `;` is dropped.
 */
export async function prepareSql(tm: Tidemark, statement: string, resolve?: (nameOrPath: string) => Promise<string>): Promise<PreparedQuery | undefined> {
  const sql = await tm.expandSql(singleQuery(statement), resolve);
  try {
    const { columns, query } = await tm.duck.prepareColumns(sql);
    return query ? { sql, columns } : undefined;
  } catch {
    return undefined; // not one query that binds: the caller runs the statement, which raises any error
  }
}

/** `statement` without trailing semicolons and blanks, so it can be wrapped in `SELECT * FROM (…)`. */
export function singleQuery(statement: string): string {
  return statement.replace(/[\s;]+$/, '');
}

/** A query that returns at most `limit` rows of `statement` (a single query: see `prepareSql`). */
export function limitedStatement(statement: string, limit: number): string {
  // The newline ends a trailing `-- comment` before the closing parenthesis.
  return `SELECT * FROM (\n${singleQuery(statement)}\n) LIMIT ${limit}`;
}

/**
 * The error to raise for a query that failed while streaming, as `Tidemark#sql` classifies them: the
 * user's mistakes (parse, bind, conversion errors) are invalid arguments, anything else a storage
 * error; Tidemark's own errors (the output could not be written) are passed on.
 */
export function queryError(what: string, error: unknown): TidemarkError {
  if (error instanceof TidemarkError) return error;
  const message = messageOf(error).replace(/^Error: /, '');
  if (/^(Parser|Binder|Catalog|Conversion|Invalid Input|Not implemented) Error/.test(message)) {
    return new InvalidArgumentError(`${what} failed: ${message}`, { cause: error });
  }
  return new StorageError(`${what} failed: ${message}`, { cause: error });
}
