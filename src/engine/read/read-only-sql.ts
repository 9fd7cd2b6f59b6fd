/**
 * `sql --read-only`: untrusted SQL that may only query tables. The statement must be one query
 * (SELECT, FROM …, WITH …, a set operation, DESCRIBE/SUMMARIZE of one: what DuckDB's parser
 * serializes as a query), and it runs in a locked-down DuckDB instance (`storage/duckdb/sandbox.ts`)
 * that can read nothing but the base files of the tables it scans.
 */
import { InvalidArgumentError, StorageError, messageOf } from '../../errors.ts';
import type { DuckSession } from '../../storage/duckdb/session.ts';
import { sqlString } from '../../storage/duckdb/sql.ts';
import { runSandboxed } from '../../storage/duckdb/sandbox.ts';
import type { Row } from '../../storage/duckdb/values.ts';

/** Raises `InvalidArgumentError` naming the statement unless DuckDB parses it as exactly one query. */
export async function checkReadOnlyStatement(duck: DuckSession, statement: string): Promise<void> {
  const [r] = await duck.rows(`SELECT json_serialize_sql(${sqlString(statement)}) AS j`);
  const parsed = JSON.parse(String(r?.j)) as { error?: boolean; error_message?: string; statements?: unknown[] };
  if (parsed.error === true || parsed.statements?.length !== 1) {
    const why = parsed.error === true ? (parsed.error_message ?? 'it is not a query') : `it has ${parsed.statements?.length ?? 0} statements`;
    throw new InvalidArgumentError(`read-only SQL must be a single query (SELECT …) over tidemark_scan(...); refusing ${JSON.stringify(statement)}: ${why}`, { value: statement });
  }
}

/** Runs the expanded statement in the sandbox, which may read only `files`. */
export async function runReadOnly(sql: string, files: ReadonlyArray<string>, statement: string): Promise<{ rows: Row[]; columns: string[] }> {
  try {
    return await runSandboxed(sql, files);
  } catch (error) {
    const message = messageOf(error).replace(/^Error: /, '');
    if (/^Permission Error/.test(message)) {
      throw new InvalidArgumentError(`read-only SQL may read only the tables it scans with tidemark_scan; refusing ${JSON.stringify(statement)}: ${message}`, { value: statement, cause: error });
    }
    if (/^(Parser|Binder|Catalog|Conversion|Invalid Input|Not implemented) Error/.test(message)) {
      throw new InvalidArgumentError(`the SQL statement failed: ${message}`, { value: statement, cause: error });
    }
    throw new StorageError(`the SQL statement failed: ${message}`, { cause: error });
  }
}
