/**
 * The engine's front door: one DuckDB instance for the process, the file store and the clock, and
 * every table operation. Tables are addressed by their base path; no metastore is needed.
 */
import path from 'node:path';
import type { DuckSession } from '../storage/duckdb/session.ts';
import type { Row } from '../storage/duckdb/values.ts';
import type { FileSlice } from '../table/file-slice.ts';
import { type CreateTableOptions, createTable } from './write/create-table.ts';
import type { WriteInput } from './write/input.ts';
import { type CommitResult, type WriteOptions, writeTable } from './write/write.ts';
import type { ReadOptions } from './read/read.ts';
import { type ScanResolver, type TableLoader, expandScans, planRead, scannedFiles, sliceRead } from './read/read-planner.ts';
import { runQuery } from './read/query-runner.ts';
import { lookupKeys } from './read/lookup.ts';
import { KeyIndexCache } from './read/key-lookup.ts';
import { checkReadOnlyStatement, runReadOnly } from './read/read-only-sql.ts';
import type { TableState } from './load/table-state.ts';
import { TableCache } from './load/table-cache.ts';
import { type CommitInfo, commitInfos } from './load/commit-info.ts';
import { type RollbackResult, rollbackInstant } from './services/rollback.ts';
import { type CleanResult, cleanTable } from './services/clean.ts';
import { restore, savepoint } from './services/savepoint.ts';
import { runTableService } from './commit/table-service.ts';
import type { EngineContext } from './context.ts';
import { openEngineContext } from './open-context.ts';
import type { LookupOptions, RestoreResult, SavepointResult, ScannedTable, TidemarkOptions } from './tidemark-options.ts';

export type { CommitInfo } from './load/commit-info.ts';
export type { LookupOptions, RestoreResult, SavepointResult, ScannedTable, TidemarkOptions } from './tidemark-options.ts';


/**
 * Tidemark's copy-on-write engine: create, write, read and maintain Hudi copy-on-write tables, each
 * addressed by its base path (a directory; relative paths are resolved against the working
 * directory). Get one with {@link Tidemark.open}; call {@link Tidemark.close} when done.
 *
 * Errors are the classes of `errors.ts`, all subclasses of `TidemarkError` with a `code`. Reading
 * a table can always raise `TableNotFoundError` (no `.hoodie/hoodie.properties` at the path),
 * `TableFormatError` (its files break the format), `UnsupportedTableVersionError` and
 * `StorageError` (the file system failed); the methods below list these and what else they raise.
 * Operations that take the table's writer lock (writes and table services) also raise
 * `CommitConflictError` (retryable) when another process holds it longer than the lock timeout (120 s).
 */
export class Tidemark {
  private readonly keyIndexes = new KeyIndexCache();
  private tables: TableCache | undefined;
  private readonly loader: TableLoader = (basePath) => this.table(basePath); // for the read helpers

  /** Engines are made by {@link Tidemark.open}. (Not `@internal`: stripped, the class would look constructible.) */
  private constructor(private readonly ctx: EngineContext) {}

  /**
   * Opens an engine with its own in-memory DuckDB instance (see {@link TidemarkOptions} for the
   * defaults: the local file system, the system clock, 2 files written at once). It first removes
   * rows staged by writers whose process has died.
   *
   * @throws Error (Node's) when the temporary directory of staged rows cannot be swept, or
   *   (DuckDB's) when DuckDB rejects `threads` or `memoryLimit`.
   */
  static async open(options: TidemarkOptions = {}): Promise<Tidemark> {
    return new Tidemark(await openEngineContext(options));
  }

  /**
   * Creates an empty table at `basePath` (its `.hoodie` directory and `hoodie.properties`), with no
   * commit. A write can create its table instead, with `WriteOptions.create`.
   *
   * @param basePath - The table's directory; created if missing.
   * @param options - The table's name, schema, keys and partitioning.
   * @throws {@link TableExistsError} when a table already exists at `basePath`.
   * @throws {@link InvalidArgumentError} when an option is invalid (a bad table name or field name, no record key field, an unknown compression codec).
   * @throws {@link StorageError} when the files cannot be written.
   */
  async createTable(basePath: string, options: CreateTableOptions): Promise<TableState> {
    await createTable(this.ctx, path.resolve(basePath), options);
    return this.table(basePath);
  }

  /**
   * Loads a table's config, timeline and file index; kept between calls while the table's
   * timeline is unchanged (see `TableCache`).
   *
   * @throws {@link TableNotFoundError} when there is no table at `basePath`.
   * @throws {@link TableFormatError} when its properties or commit metadata are corrupt, or it is not copy-on-write.
   * @throws {@link UnsupportedTableVersionError} when the table's Hudi version is one this build does not read.
   * @throws {@link StorageError} when the timeline keeps changing while it is read, or the file system fails.
   */
  async table(basePath: string): Promise<TableState> {
    this.tables ??= new TableCache(this.ctx.store);
    return this.tables.load(path.resolve(basePath));
  }

  /**
   * Writes one batch as one commit (one instant on the timeline), under the table's writer lock.
   * This is the one way to write; `upsert` is its shorthand. Everything that can fail because of the
   * input fails before the timeline changes; a first write that fails leaves no table behind.
   *
   * @param input - The batch: rows given in code, or a Parquet, CSV or JSON file.
   * @param options - The operation (`upsert`, `insert`, `bulk_insert`, `delete`,
   *   `insert_overwrite_table`) and its options; `create` creates the table on first write.
   * @returns What the write did; `instant` is undefined when there was nothing to commit. Steps
   *   after the commit landed that failed are `warnings`, not errors.
   * @throws {@link InvalidArgumentError} for an unknown operation, an input file whose format cannot be told, or an invalid `create` option.
   * @throws {@link InvalidInputError} for input that cannot be written (a missing or malformed file, null keys, unknown columns, an empty batch creating a table).
   * @throws {@link SchemaConflictError} when the batch's columns conflict with the table's schema.
   * @throws {@link TableNotFoundError} when there is no table at `basePath` and no `create` option.
   * @throws {@link TableFormatError} when the table is corrupt, cannot be written by Tidemark (meta fields off, an unsupported key generator, a metadata table), or a base file it names is missing.
   * @throws {@link CommitConflictError} (retryable) when another process holds the writer lock for longer than the lock timeout (120 s).
   * @throws {@link StorageError} when the file system fails.
   */
  async write(basePath: string, input: WriteInput, options: WriteOptions): Promise<CommitResult> {
    return writeTable(this.ctx, path.resolve(basePath), input, options);
  }

  /**
   * Shorthand of {@link Tidemark.write} with `operation: 'upsert'`: new keys inserted, stored keys
   * updated unless the stored version is newer (by the precombine field).
   *
   * @throws The errors of {@link Tidemark.write}.
   */
  async upsert(basePath: string, input: WriteInput, options: Omit<WriteOptions, 'operation'> = {}): Promise<CommitResult> {
    return this.write(basePath, input, { ...options, operation: 'upsert' });
  }

  /**
   * The DuckDB SELECT statement of a read (over the visible base files), for use inside larger SQL.
   * Partitions the `where` filter rules out are pruned first.
   *
   * @param options - Snapshot (`asOf`) or incremental (`since`/`until`) read, columns, filter, limit; default: every column of the latest snapshot.
   * @throws {@link InvalidArgumentError} when `where` is not a single SQL expression, or `asOf` is combined with `since`/`until`, or an incremental read targets a table without meta fields.
   * @throws {@link InvalidInstantError} when an instant is malformed or was cleaned.
   * @throws {@link TableNotFoundError}, {@link TableFormatError}, {@link StorageError} as every read (see the class).
   */
  async readSql(basePath: string, options: ReadOptions = {}): Promise<string> {
    return (await planRead(this.ctx, this.loader, basePath, options)).sql;
  }

  /**
   * The file slices a read would scan (after partition pruning), for inspection and tests.
   *
   * @throws {@link InvalidArgumentError} when `where` is not a single SQL expression, or `asOf` is combined with `since`/`until`, or an incremental read targets a table without meta fields.
   * @throws {@link InvalidInstantError} when an instant is malformed.
   * @throws {@link TableNotFoundError}, {@link TableFormatError}, {@link StorageError} as every read (see the class).
   */
  async fileSlices(basePath: string, options: ReadOptions = {}): Promise<FileSlice[]> {
    return sliceRead(this.ctx, this.loader, basePath, options);
  }

  /**
   * Reads rows, as plain JavaScript values (see `Value` for the mapping of DuckDB's types): the
   * latest snapshot by default, a snapshot as of an instant (`asOf`), or the records committed in
   * (`since`, `until`]. All rows are held in memory; use `limit`, or `readSql` inside larger SQL.
   *
   * @throws {@link InvalidArgumentError} when `where` is not a single SQL expression, a column does not exist, `asOf` is combined with `since`/`until`, or an incremental read targets a table without meta fields.
   * @throws {@link InvalidInstantError} when an instant is malformed or was cleaned.
   * @throws {@link TableNotFoundError}, {@link TableFormatError} (also when a base file it names is missing), {@link StorageError} as every read (see the class).
   */
  async read(basePath: string, options: ReadOptions = {}): Promise<Row[]> {
    return runQuery(this.ctx, this.loader, `reading ${basePath}`, async (scans) => {
      const { sql, state } = await planRead(this.ctx, this.loader, basePath, options);
      scans.push({ path: basePath, options, state });
      return sql;
    });
  }

  /**
   * Runs SQL in which tables are addressed as `tidemark_scan('path', ...)`; `resolve` maps each
   * address to a base path first (the CLI resolves registered names with it). Rows are plain
   * JavaScript values, as `read`'s. `tidemark_scan` takes `as_of`, `since` and `until` as named
   * arguments. Runs in the engine's DuckDB: trusted SQL only (see `sqlReadOnly`).
   *
   * @param resolve - Maps each `tidemark_scan` address to a base path; default: the address is the path.
   * @throws {@link InvalidArgumentError} when DuckDB cannot parse or bind the statement, or a `tidemark_scan` argument is unknown.
   * @throws {@link InvalidInstantError} when a scan's instant is malformed or was cleaned.
   * @throws {@link TableNotFoundError}, {@link TableFormatError}, {@link StorageError} as every read (see the class), for each scanned table.
   */
  async sql(statement: string, resolve?: ScanResolver): Promise<Row[]> {
    return runQuery(this.ctx, this.loader, 'the SQL statement', (scans) => this.expandSql(statement, resolve, scans));
  }

  /**
   * `sql` for untrusted SQL: one query only, run in a DuckDB instance that can read nothing but the
   * base files of the tables it scans (no other file, no COPY, ATTACH or extension); see
   * `read-only-sql.ts`. Returns the column names too (an empty result still has them).
   *
   * @param resolve - Maps each `tidemark_scan` address to a base path; default: the address is the path.
   * @throws {@link InvalidArgumentError} when the statement is not a single query, reads anything but its scanned tables, or fails to parse or bind.
   * @throws {@link InvalidInstantError} when a scan's instant is malformed or was cleaned.
   * @throws {@link TableNotFoundError}, {@link TableFormatError}, {@link StorageError} as every read (see the class), for each scanned table.
   */
  async sqlReadOnly(statement: string, resolve?: ScanResolver): Promise<{ rows: Row[]; columns: string[] }> {
    await checkReadOnlyStatement(this.ctx.duck, statement);
    const scans: ScannedTable[] = [];
    const sql = await this.expandSql(statement, resolve, scans);
    return runReadOnly(sql, await scannedFiles(this.ctx, this.loader, scans), statement);
  }

  /**
   * The statement with every `tidemark_scan('path', ...)` call replaced by its read's SELECT, for
   * running the SQL elsewhere; nothing is run.
   *
   * @param resolve - Maps each `tidemark_scan` address to a base path; default: the address is the path.
   * @param scans - Receives each table scanned (pass an array to collect them); default: a fresh one.
   * @throws {@link InvalidArgumentError} when a `tidemark_scan` argument is unknown or a `where` is not a single expression.
   * @throws {@link InvalidInstantError} when a scan's instant is malformed or was cleaned.
   * @throws {@link TableNotFoundError}, {@link TableFormatError}, {@link StorageError} as every read (see the class), for each scanned table.
   */
  async expandSql(statement: string, resolve?: ScanResolver, scans: ScannedTable[] = []): Promise<string> {
    return expandScans(this.ctx, this.loader, statement, resolve, scans);
  }

  /**
   * The latest version of the records with these record keys (`_hoodie_record_key` values, e.g.
   * `"42"` or `"id:42,region:eu"`), reading only files whose footer key range and bloom filter
   * admit a key (no keys, no rows). `partitionPath` narrows the search when the caller knows it.
   * Rows are plain JavaScript values, as `read`'s.
   *
   * @throws {@link InvalidArgumentError} when the table stores no record keys (meta fields off).
   * @throws {@link InvalidInstantError} when `asOf` is malformed.
   * @throws {@link TableNotFoundError}, {@link TableFormatError} (also when a base file's footer cannot be read or is missing), {@link StorageError} as every read (see the class).
   */
  async lookup(basePath: string, keys: ReadonlyArray<string>, options: LookupOptions = {}): Promise<Row[]> {
    return lookupKeys(this.ctx, this.keyIndexes, await this.table(basePath), keys, options, basePath);
  }

  /**
   * The timeline with what each completed write did (its operation, record counts and files).
   *
   * @throws {@link TableNotFoundError}, {@link TableFormatError}, {@link StorageError} as every read (see the class).
   */
  async commits(basePath: string): Promise<CommitInfo[]> {
    return commitInfos(await this.table(basePath));
  }

  /**
   * Undoes a commit: the latest completed write, or a pending one a dead writer left. Recorded as a
   * Hudi `rollback` instant; takes the table's writer lock.
   *
   * @param instant - The commit's instant time (`yyyyMMddHHmmss` or `yyyyMMddHHmmssSSS`).
   * @throws {@link InvalidInstantError} when the table has no commit at `instant`, or it is not the latest (a later commit depends on it).
   * @throws {@link CommitConflictError}, {@link TableNotFoundError}, {@link TableFormatError}, {@link StorageError} as every locked operation (see the class).
   */
  async rollback(basePath: string, instant: string): Promise<RollbackResult> {
    return runTableService(this.ctx, basePath, (state) => rollbackInstant(this.ctx, state, instant));
  }

  /**
   * Deletes file slices no reader of the last `retainCommits` commits needs (Hudi's
   * KEEP_LATEST_COMMITS), as a `clean` instant; savepointed files are kept. Takes the table's writer lock.
   *
   * @param options - `retainCommits`: commits kept readable, a whole number ≥ 1; default: the table's
   *   `hoodie.cleaner.commits.retained` (10 unless set).
   * @throws {@link InvalidArgumentError} when `retainCommits` is not a whole number ≥ 1.
   * @throws {@link CommitConflictError}, {@link TableNotFoundError}, {@link TableFormatError}, {@link StorageError} as every locked operation (see the class).
   */
  async clean(basePath: string, options: { retainCommits?: number } = {}): Promise<CleanResult> {
    return runTableService(this.ctx, basePath, (state) => cleanTable(this.ctx, state, options.retainCommits ?? state.config.commitsRetained));
  }

  /**
   * Pins a completed commit as a `savepoint` instant: the cleaner keeps its files, and `restore`
   * can return to it. Takes the table's writer lock.
   *
   * @param instant - The completed commit's instant time.
   * @param comment - Recorded in the savepoint's metadata; default: empty.
   * @throws {@link InvalidInstantError} when the table has no completed commit at `instant`, or it was cleaned.
   * @throws {@link CommitConflictError}, {@link TableNotFoundError}, {@link TableFormatError}, {@link StorageError} as every locked operation (see the class).
   */
  async savepoint(basePath: string, instant: string, comment?: string): Promise<SavepointResult> {
    return runTableService(this.ctx, basePath, (state) => savepoint(this.ctx, state, instant, comment));
  }

  /**
   * Returns the table to a savepoint, undoing every later commit in one `restore` instant. Takes
   * the table's writer lock.
   *
   * @param instant - The savepoint's instant time.
   * @throws {@link InvalidInstantError} when the table has no savepoint at `instant`.
   * @throws {@link CommitConflictError}, {@link TableNotFoundError}, {@link TableFormatError}, {@link StorageError} as every locked operation (see the class).
   */
  async restore(basePath: string, instant: string): Promise<RestoreResult> {
    return runTableService(this.ctx, basePath, (state) => restore(this.ctx, state, instant));
  }

  /** The engine's DuckDB session, for Tidemark's own adapters (pipelines, the CLI); its `rows` are DuckDB's value classes. @internal */
  get duck(): DuckSession {
    return this.ctx.duck;
  }

  /**
   * Releases the engine's DuckDB instance; the engine cannot be used afterwards. Calling it twice is harmless.
   * @throws Nothing of Tidemark's own (DuckDB's error if closing fails).
   */
  close(): void {
    this.ctx.duck.close();
  }
}
