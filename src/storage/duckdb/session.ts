/**
 * The DuckDB adapter: one in-memory DuckDB instance per process, with a pool of connections so
 * independent statements (the files of one commit) can run at once. DuckDB errors are wrapped by the
 * caller, which knows the table and file they concern.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBType } from '@duckdb/node-api';

/** Column names and DuckDB types of a result or relation. */
export interface Columns {
  readonly names: ReadonlyArray<string>;
  readonly types: ReadonlyArray<DuckDBType>;
}

/** A DuckDB instance with helpers for the statements Tidemark runs. */
export class DuckSession {
  private readonly idle: DuckDBConnection[] = [];
  private closed = false;

  private constructor(private readonly instance: DuckDBInstance) {}

  /** Opens an in-memory instance with UTC as its time zone. */
  static async open(options: { readonly threads?: number; readonly memoryLimit?: string } = {}): Promise<DuckSession> {
    const config: Record<string, string> = {};
    if (options.threads !== undefined) config.threads = String(options.threads);
    if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
    const session = new DuckSession(await DuckDBInstance.create(':memory:', config));
    // Time zone needs ICU, which loads with the first connection: every timestamp is read and written in UTC.
    await session.run(`SET GLOBAL TimeZone = 'UTC'`);
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

  /** Runs statements for their effect. */
  async run(sql: string): Promise<void> {
    await this.withConnection(async (c) => {
      await c.run(sql);
    });
  }

  /** Rows as plain objects (DuckDB's JS values: bigint for BIGINT, value objects for dates and decimals). */
  async rows(sql: string): Promise<Record<string, unknown>[]> {
    return this.withConnection(async (c) => (await c.runAndReadAll(sql)).getRowObjects() as Record<string, unknown>[]);
  }

  /** Values of the first column. */
  async column<T = unknown>(sql: string): Promise<T[]> {
    return this.withConnection(async (c) => {
      const result = await c.runAndReadAll(sql);
      return (result.getColumns()[0] ?? []) as T[];
    });
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
