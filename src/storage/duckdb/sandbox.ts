/**
 * A DuckDB instance for untrusted SQL (`tidemark sql --read-only`): in memory, its own, and locked
 * before the query runs — no file system access except the listed files (the scanned tables' base
 * files), no extensions installed or loaded, and no setting can be changed back. So `COPY … TO`,
 * `read_csv('/etc/passwd')`, `ATTACH`, `INSTALL` fail with DuckDB's permission errors.
 */
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { defaultMemoryLimit } from './session.ts';
import { sqlString } from './sql.ts';
import { type Row, plainRows } from './values.ts';

/** Rows and column names of one query run in a fresh locked-down instance that may read only `files`. */
export async function runSandboxed(sql: string, files: ReadonlyArray<string>): Promise<{ rows: Row[]; columns: string[] }> {
  const instance = await DuckDBInstance.create(':memory:', {
    memory_limit: defaultMemoryLimit(),
    temp_directory: path.join(os.tmpdir(), `tidemark-duckdb-${process.pid}-sandbox`),
  });
  try {
    const c = await instance.connect();
    try {
      const allowed = files.length === 0 ? '[]' : `[${files.map(sqlString).join(', ')}]`;
      for (const setting of [
        `SET TimeZone = 'UTC'`,
        `SET allowed_paths = ${allowed}`,
        'SET autoinstall_known_extensions = false',
        'SET autoload_known_extensions = false',
        'SET enable_external_access = false',
        'SET lock_configuration = true',
      ]) {
        await c.run(setting);
      }
      const result = await c.runAndReadAll(sql);
      return { rows: plainRows(result), columns: result.columnNames() };
    } finally {
      c.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}
