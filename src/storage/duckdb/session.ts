/**
 * The DuckDB adapter: one in-memory DuckDB instance per process, with a pool of connections so
 * independent statements (the files of one commit) can run at once. DuckDB errors are wrapped by the
 * caller, which knows the table and file they concern.
 */
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, StatementType, type DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from './sql.ts';
import { type Columns, type Row, plainRows, plainValue } from './values.ts';

export type { Columns } from './values.ts';

/** 1 GiB, or a quarter of the machine's memory when that is less. */
export function defaultMemoryLimit(): string {
  return `${Math.max(256, Math.min(1024, Math.floor(os.totalmem() / 4 / 2 ** 20)))}MB`;
}

/** A DuckDB instance with helpers for the statements Tidemark runs. */
export class DuckSession {
  private readonly idle: DuckDBConnection[] = [];
  private closed = false;

  private constructor(private readonly instance: DuckDBInstance) {}

  /**
   * Opens an in-memory instance with UTC as its time zone. Without `memoryLimit`, DuckDB gets
   * `defaultMemoryLimit()` rather than its own default of 80% of RAM: Tidemark's writes stream
   * (measured: a 20M-row load needs about 1 GB), the engine shares the machine, and what exceeds the
   * limit (large aggregates, joins) spills to disk.
   */
  static async open(options: { readonly threads?: number; readonly memoryLimit?: string } = {}): Promise<DuckSession> {
    const config: Record<string, string> = {};
    if (options.threads !== undefined) config.threads = String(options.threads);
    config.memory_limit = options.memoryLimit ?? defaultMemoryLimit();
    // What spills goes to the system's temp directory, not to `.tmp` in whatever directory the user ran in.
    config.temp_directory = path.join(os.tmpdir(), `tidemark-duckdb-${process.pid}`);
    // jemalloc (DuckDB's allocator on Linux) returns freed memory to the system from its own threads
    // instead of keeping it until a query thread purges it: a 20M-row load (a partitioned COPY
    // buffering ~300 files' row groups) peaked at 1631-1662 MiB RSS with them, 1681-1868 without, and
    // was no slower. (The setting is DuckDB's own; builds without jemalloc, as on macOS, accept it.)
    config.allocator_background_threads = 'true';
    const session = new DuckSession(await DuckDBInstance.create(':memory:', config));
    // Time zone needs ICU, which loads with the first connection: every timestamp is read and written in UTC.
    await session.run(`SET GLOBAL TimeZone = 'UTC'`);
    // Base files never change once written, and Hudi's footers are large (the bloom filter): keep
    // parsed footers instead of parsing every file's on every scan. DuckDB still checks each file's
    // modification time, so a file rewritten in place is read again.
    await session.run(`SET GLOBAL parquet_metadata_cache = true`);
    // A partitioned COPY must write exactly one file per partition (one per file group): past this
    // many open files DuckDB would close one and later start a second (the writer stays below it).
    await session.run(`SET GLOBAL partitioned_write_max_open_files = 512`);
    return session;
  }

  /** Runs `fn` on a pooled connection. */
  async withConnection<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const connection = this.idle.pop() ?? (await this.instance.connect());
    try {
      return await fn(connection);
    } finally {
      if (this.closed) connection.closeSync();
      else this.idle.push(connection);
    }
  }

  /**
   * Runs statements on a connection of their own whose `search_path` puts `schema` first (then
   * `main`): unqualified names resolve, and unqualified tables are created, in `schema`. The
   * connection is closed after, so no other statement runs with that search path.
   */
  async runInSchema(schema: string, sql: string): Promise<void> {
    const connection = await this.instance.connect();
    try {
      await connection.run(`SET search_path = ${sqlString(`${schema},main`)}`);
      await connection.run(sql);
    } finally {
      connection.closeSync();
    }
  }

  /** Runs statements for their effect. */
  async run(sql: string): Promise<void> {
    await this.withConnection(async (c) => {
      await c.run(sql);
    });
  }

  /**
   * Rows as objects of DuckDB's JS values (bigint for BIGINT, DuckDB's value classes for dates,
   * timestamps and decimals), for the engine's own queries. What the public API returns comes from
   * `plainRows`.
   */
  async rows(sql: string): Promise<Record<string, unknown>[]> {
    return this.withConnection(async (c) => (await c.runAndReadAll(sql)).getRowObjects() as Record<string, unknown>[]);
  }

  /** Rows of plain JavaScript values (`values.ts` gives the mapping). */
  async plainRows(sql: string): Promise<Row[]> {
    return this.withConnection(async (c) => plainRows(await c.runAndReadAll(sql)));
  }

  /** Values of the first column. */
  async column<T = unknown>(sql: string): Promise<T[]> {
    return this.withConnection(async (c) => {
      const result = await c.runAndReadAll(sql);
      return (result.getColumns()[0] ?? []) as T[];
    });
  }

  /**
   * Runs a query and hands its result over one data chunk (up to 2048 rows) at a time, as columns of
   * DuckDB's JS values, so a large result is never converted to JavaScript whole. The query runs to
   * completion first (a streamed query would run on one thread); `onFirst` is called then, before
   * the first chunk is handed over. The event loop gets a turn after `onFirst` and every 32 chunks,
   * so work started by `onFirst` (another query) is under way while the chunks are processed.
   */
  async forEachChunk(sql: string, onChunk: (columns: unknown[][], rowCount: number) => void | Promise<void>, onFirst?: () => void): Promise<void> {
    await this.withConnection(async (c) => {
      const result = await c.run(sql);
      onFirst?.();
      for (let i = 0; i < result.chunkCount; i++) {
        if (i % 32 === 0) await new Promise((resolve) => setImmediate(resolve));
        const chunk = result.getChunk(i);
        if (chunk.rowCount > 0) await onChunk(chunk.getColumns() as unknown[][], chunk.rowCount);
      }
    });
  }

  /**
   * Runs one statement that can be called off: when `signal` aborts, the statement is interrupted
   * (DuckDB then fails it with an INTERRUPT error, which the caller, having asked for it, expects).
   * Exports use it to stop a `COPY` whose reader went away.
   */
  async runCancellable(sql: string, signal: AbortSignal): Promise<void> {
    await this.withConnection(async (c) => {
      const interrupt = (): void => c.interrupt();
      signal.addEventListener('abort', interrupt, { once: true });
      try {
        if (signal.aborted) throw signal.reason;
        await c.run(sql);
      } finally {
        signal.removeEventListener('abort', interrupt);
      }
    });
  }

  /**
   * Streams a query's rows as plain values (`values.ts`), one data chunk (up to 2048 rows) at a
   * time, so memory stays bounded whatever the result's size: DuckDB computes the next rows only as
   * they are fetched. `onRows` returns false to stop early. Column names are deduplicated as
   * `plainRows` does (`a`, `a:1`).
   */
  async streamRows(sql: string, onRows: (rows: Row[]) => Promise<boolean> | boolean): Promise<void> {
    await this.withConnection(async (c) => {
      const result = await c.stream(sql);
      const names = result.deduplicatedColumnNames();
      for (;;) {
        const chunk = await result.fetchChunk();
        if (chunk === null || chunk.rowCount === 0) return;
        // Object.fromEntries defines its keys, so a column named `__proto__` stays data.
        const rows = chunk.getRows().map((values) => Object.fromEntries(names.map((name, i) => [name, plainValue(values[i] ?? null)])) as Row);
        // Stopping early leaves the result pending; the connection's next statement discards it.
        if (!(await onRows(rows))) return;
      }
    });
  }

  /**
   * The columns of one statement, found by preparing it (nothing runs), and whether it is a query
   * (a SELECT: its rows can be streamed or copied). Unlike `describe`, the names are the statement's
   * own: columns that share a name keep it. Throws DuckDB's error for SQL that does not bind, or is
   * more than one statement.
   */
  async prepareColumns(sql: string): Promise<{ readonly columns: Columns; readonly query: boolean }> {
    return this.withConnection(async (c) => {
      const prepared = await c.prepare(sql);
      try {
        const names: string[] = [];
        const types = [];
        for (let i = 0; i < prepared.columnCount; i++) {
          names.push(prepared.columnName(i));
          types.push(prepared.columnType(i));
        }
        return { columns: { names, types }, query: prepared.statementType === StatementType.SELECT && prepared.parameterCount === 0 };
      } finally {
        prepared.destroySync();
      }
    });
  }

  /**
   * Runs `fn` with DuckDB's memory limit at most `mib` MiB (lowered if it is above, restored after).
   * The limit is the instance's, so nothing else should run meanwhile: the CLI's exports use it,
   * alone in their process, to keep fewer rows in flight.
   */
  async withMemoryLimitAtMost<T>(mib: number, fn: () => Promise<T>): Promise<T> {
    const [row] = await this.rows(`SELECT current_setting('memory_limit') AS m`);
    const previous = String(row?.m);
    if (mebibytes(previous) <= mib) return fn();
    await this.run(`SET GLOBAL memory_limit = '${mib}MiB'`);
    try {
      return await fn();
    } finally {
      await this.run(`SET GLOBAL memory_limit = '${previous.replaceAll("'", "''")}'`);
    }
  }

  /** Names and types of a query's columns (runs it with LIMIT 0). */
  async describe(sql: string): Promise<Columns> {
    return this.withConnection(async (c) => {
      const result = await c.runAndReadAll(`SELECT * FROM (${sql}) LIMIT 0`);
      return { names: result.columnNames(), types: result.columnTypes() };
    });
  }

  /** Closes every connection and the instance. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.idle.splice(0)) c.closeSync();
    this.instance.closeSync();
  }
}

const UNITS: Readonly<Record<string, number>> = { bytes: 2 ** -20, KB: 1e3 / 2 ** 20, MB: 1e6 / 2 ** 20, GB: 1e9 / 2 ** 20, TB: 1e12 / 2 ** 20, KiB: 2 ** -10, MiB: 1, GiB: 2 ** 10, TiB: 2 ** 20 };

/** MiB in a size as DuckDB prints settings (`976.5 MiB`, `18.8 GiB`); Infinity when it is not one. */
function mebibytes(size: string): number {
  const m = /^([\d.]+)\s*([A-Za-z]+)$/.exec(size.trim());
  const unit = m === null ? undefined : UNITS[m[2]!];
  return m === null || unit === undefined ? Infinity : Number(m[1]) * unit;
}
