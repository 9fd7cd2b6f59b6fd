/**
 * The engine's front door: one DuckDB instance for the process, the file store and the clock, and
 * every table operation. Tables are addressed by their base path; no metastore is needed.
 */
import path from 'node:path';
import { LocalFileStore } from '../storage/local-file-store.ts';
import { DuckSession } from '../storage/duckdb/session.ts';
import type { Row } from '../storage/duckdb/values.ts';
import { systemClock } from '../time/clock.ts';
import { type CreateTableOptions, createTable } from './write/create-table.ts';
import type { WriteInput } from './write/input.ts';
import { type ReadOptions, readSql, slicesForRead } from './read/read.ts';
import { runQuery } from './read/query-runner.ts';
import { lookupKeys } from './read/lookup.ts';
import { KeyIndexCache } from './read/key-lookup.ts';
import { InvalidArgumentError, StorageError } from '../errors.ts';
import { mayPrune, prunePartitions } from './read/partition-pruning.ts';
import type { FileSlice } from '../table/file-slice.ts';
import { rewriteScans } from './read/scan-rewrite.ts';
import { type TableState } from './load/table-state.ts';
import { TableCache } from './load/table-cache.ts';
import { type RollbackResult, rollbackInstant } from './services/rollback.ts';
import { type CleanResult, assertNotCleaned, cleanTable } from './services/clean.ts';
import { restore, savepoint } from './services/savepoint.ts';
import { checkWhereFilter } from './read/where-filter.ts';
import { checkReadOnlyStatement, runReadOnly } from './read/read-only-sql.ts';
import { sweepDeadRowFiles } from '../storage/row-files.ts';
import { type CommitResult, type WriteOptions, writeTable } from './write/write.ts';
import { type EngineContext } from './context.ts';
import { type CommitInfo, commitInfos } from './load/commit-info.ts';
import { runTableService } from './commit/table-service.ts';
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
 */
export class Tidemark {
  private readonly keyIndexes = new KeyIndexCache();
  private tables: TableCache | undefined;

  /**
   * Private: engines are made by {@link Tidemark.open}. (Not tagged internal: `stripInternal` would drop
   * the declaration, and the published class would look constructible.)
   */
  private constructor(private readonly ctx: EngineContext) {}

  /**
   * Opens an engine with its own in-memory DuckDB instance (see {@link TidemarkOptions} for the
   * defaults: the local file system, the system clock, 2 files written at once). It first removes
   * rows staged by writers whose process has died.
   *
   * @param options - The engine's options; every field is optional.
   * @returns An engine; close it with {@link Tidemark.close}.
   * @throws Error (Node's) when the temporary directory of staged rows cannot be swept, or
   *   (DuckDB's) when DuckDB rejects `threads` or `memoryLimit`.
   */
  static async open(options: TidemarkOptions = {}): Promise<Tidemark> {
    // Rows staged by writers that were killed (their pid is dead) are removed.
    await sweepDeadRowFiles();
    const duck = await DuckSession.open({
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      ...(options.memoryLimit === undefined ? {} : { memoryLimit: options.memoryLimit }),
    });
    return new Tidemark({
      duck,
      store: options.store ?? new LocalFileStore(),
      clock: options.clock ?? systemClock,
      writeConcurrency: options.writeConcurrency ?? 2,
      ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
    });
  }

  /**
   * Creates an empty table at `basePath` (its `.hoodie` directory and `hoodie.properties`), with no
   * commit. A write can create its table instead, with `WriteOptions.create`.
   *
   * @param basePath - The table's directory; created if missing.
   * @param options - The table's name, schema, keys and partitioning.
   * @returns The new table's state.
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
   * @param basePath - The table's directory.
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
   * @throws The errors of {@link Tidemark.write}: {@link InvalidArgumentError}, {@link InvalidInputError},
   *   {@link SchemaConflictError}, {@link TableNotFoundError}, {@link TableFormatError},
   *   {@link CommitConflictError}, {@link StorageError}.
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
   * @throws {@link TableNotFoundError} when there is no table at `basePath`.
   * @throws {@link TableFormatError} when the table's files are corrupt.
   * @throws {@link StorageError} when the file system fails.
   */
  async readSql(basePath: string, options: ReadOptions = {}): Promise<string> {
    return (await this.readQuery(basePath, options)).sql;
  }

  /** `readSql`, with the table state the SQL was built from. */
  private async readQuery(basePath: string, options: ReadOptions): Promise<{ sql: string; state: TableState }> {
    if (options.where !== undefined) checkWhereFilter(options.where);
    const state = await this.table(basePath);
    await assertNotCleaned(this.ctx, state, options);
    // Pruning costs DuckDB round trips: not when the caller chose the partitions, or when the filter
    // names no partition column (then it cannot prune).
    if (options.where === undefined || options.partitions !== undefined || !mayPrune(state, options.where)) return { sql: readSql(state, options), state };
    const partitions = [...new Set(state.files.map((f) => f.partitionPath))];
    const keep = await prunePartitions(this.ctx.duck, state, options.where, partitions);
    return { sql: readSql(state, keep === undefined ? options : { ...options, partitions: (p) => keep.has(p) }), state };
  }

  /**
   * The file slices a read would scan (after partition pruning), for inspection and tests.
   *
   * @throws {@link InvalidArgumentError} when `where` is not a single SQL expression, or `asOf` is combined with `since`/`until`, or an incremental read targets a table without meta fields.
   * @throws {@link InvalidInstantError} when an instant is malformed.
   * @throws {@link TableNotFoundError} when there is no table at `basePath`.
   * @throws {@link TableFormatError} when the table's files are corrupt.
   * @throws {@link StorageError} when the file system fails.
   */
  async fileSlices(basePath: string, options: ReadOptions = {}): Promise<FileSlice[]> {
    if (options.where !== undefined) checkWhereFilter(options.where);
    const state = await this.table(basePath);
    let partitions = options.partitions;
    if (options.where !== undefined && mayPrune(state, options.where)) {
      const keep = await prunePartitions(this.ctx.duck, state, options.where, [...new Set(state.files.map((f) => f.partitionPath))]);
      if (keep !== undefined) partitions = (p) => keep.has(p) && (options.partitions === undefined || options.partitions(p));
    }
    return slicesForRead(state, { ...options, ...(partitions === undefined ? {} : { partitions }) }).slices;
  }

  /**
   * Reads rows, as plain JavaScript values (see `Value` for the mapping of DuckDB's types): the
   * latest snapshot by default, a snapshot as of an instant (`asOf`), or the records committed in
   * (`since`, `until`]. All rows are held in memory; use `limit`, or `readSql` inside larger SQL.
   *
   * @throws {@link InvalidArgumentError} when `where` is not a single SQL expression, a column does not exist, `asOf` is combined with `since`/`until`, or an incremental read targets a table without meta fields.
   * @throws {@link InvalidInstantError} when an instant is malformed or was cleaned.
   * @throws {@link TableNotFoundError} when there is no table at `basePath`.
   * @throws {@link TableFormatError} when the table is corrupt or a base file it names is missing.
   * @throws {@link StorageError} when the files cannot be read.
   */
  async read(basePath: string, options: ReadOptions = {}): Promise<Row[]> {
    return runQuery(this.ctx, (p) => this.table(p), `reading ${basePath}`, async (scans) => {
      const { sql, state } = await this.readQuery(basePath, options);
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
   * @throws {@link TableNotFoundError} when a scanned path holds no table.
   * @throws {@link TableFormatError} when a scanned table is corrupt or a base file it names is missing.
   * @throws {@link StorageError} when the statement fails for another reason (the files cannot be read).
   */
  async sql(statement: string, resolve?: (nameOrPath: string) => Promise<string>): Promise<Row[]> {
    return runQuery(this.ctx, (p) => this.table(p), 'the SQL statement', (scans) => this.expandSql(statement, resolve, scans));
  }

  /**
   * `sql` for untrusted SQL: one query only, run in a DuckDB instance that can read nothing but the
   * base files of the tables it scans (no other file, no COPY, ATTACH or extension); see
   * `read-only-sql.ts`. Returns the column names too (an empty result still has them).
   *
   * @param resolve - Maps each `tidemark_scan` address to a base path; default: the address is the path.
   * @throws {@link InvalidArgumentError} when the statement is not a single query, reads anything but its scanned tables, or fails to parse or bind.
   * @throws {@link InvalidInstantError} when a scan's instant is malformed or was cleaned.
   * @throws {@link TableNotFoundError} when a scanned path holds no table.
   * @throws {@link TableFormatError} when a scanned table is corrupt.
   * @throws {@link StorageError} when the query fails for another reason.
   */
  async sqlReadOnly(statement: string, resolve?: (nameOrPath: string) => Promise<string>): Promise<{ rows: Row[]; columns: string[] }> {
    await checkReadOnlyStatement(this.ctx.duck, statement);
    const scans: ScannedTable[] = [];
    const sql = await this.expandSql(statement, resolve, scans);
    const files: string[] = [];
    for (const scan of scans) {
      const state = await this.table(scan.path);
      for (const s of await this.fileSlices(scan.path, scan.options)) files.push(path.join(state.basePath, s.baseFile.path));
    }
    return runReadOnly(sql, files, statement);
  }

  /**
   * The statement with every `tidemark_scan('path', ...)` call replaced by its read's SELECT, for
   * running the SQL elsewhere; nothing is run.
   *
   * @param resolve - Maps each `tidemark_scan` address to a base path; default: the address is the path.
   * @param scans - Receives each table scanned (pass an array to collect them); default: a fresh one.
   * @throws {@link InvalidArgumentError} when a `tidemark_scan` argument is unknown or a `where` is not a single expression.
   * @throws {@link InvalidInstantError} when a scan's instant is malformed or was cleaned.
   * @throws {@link TableNotFoundError} when a scanned path holds no table.
   * @throws {@link TableFormatError} when a scanned table is corrupt.
   * @throws {@link StorageError} when the file system fails.
   */
  async expandSql(statement: string, resolve?: (nameOrPath: string) => Promise<string>, scans: ScannedTable[] = []): Promise<string> {
    return rewriteScans(statement, async (call) => {
      const basePath = resolve === undefined ? call.path : await resolve(call.path);
      const { sql, state } = await this.readQuery(basePath, call.options);
      scans.push({ path: basePath, options: call.options, state });
      return sql;
    });
  }

  /**
   * The latest version of the records with these record keys (`_hoodie_record_key` values, e.g.
   * `"42"` or `"id:42,region:eu"`), reading only files whose footer key range and bloom filter
   * admit a key. `partitionPath` narrows the search when the caller knows it. Rows are plain
   * JavaScript values, as `read`'s.
   *
   * @param keys - Record keys; none returns no rows.
   * @throws {@link InvalidArgumentError} when the table stores no record keys (meta fields off).
   * @throws {@link InvalidInstantError} when `asOf` is malformed.
   * @throws {@link TableNotFoundError} when there is no table at `basePath`.
   * @throws {@link TableFormatError} when the table is corrupt, or a base file's footer cannot be read or is missing.
   * @throws {@link StorageError} when the file system fails.
   */
  async lookup(basePath: string, keys: ReadonlyArray<string>, options: LookupOptions = {}): Promise<Row[]> {
    return lookupKeys(this.ctx, this.keyIndexes, await this.table(basePath), keys, options, basePath);
  }

  /**
   * The timeline with what each completed write did (its operation, record counts and files).
   *
   * @throws {@link TableNotFoundError} when there is no table at `basePath`.
   * @throws {@link TableFormatError} when the table's properties or commit metadata are corrupt.
   * @throws {@link StorageError} when the file system fails.
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
   * @throws {@link TableNotFoundError} when there is no table at `basePath`.
   * @throws {@link TableFormatError} when the table's timeline is corrupt.
   * @throws {@link CommitConflictError} (retryable) when another process holds the writer lock for longer than the lock timeout (120 s).
   * @throws {@link StorageError} when the file system fails.
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
   * @throws {@link TableNotFoundError} when there is no table at `basePath`.
   * @throws {@link TableFormatError} when the table's timeline is corrupt.
   * @throws {@link CommitConflictError} (retryable) when another process holds the writer lock for longer than the lock timeout (120 s).
   * @throws {@link StorageError} when the file system fails.
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
   * @throws {@link TableNotFoundError} when there is no table at `basePath`.
   * @throws {@link TableFormatError} when the table's timeline is corrupt.
   * @throws {@link CommitConflictError} (retryable) when another process holds the writer lock for longer than the lock timeout (120 s).
   * @throws {@link StorageError} when the file system fails.
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
   * @throws {@link TableNotFoundError} when there is no table at `basePath`.
   * @throws {@link TableFormatError} when the table's timeline is corrupt.
   * @throws {@link CommitConflictError} (retryable) when another process holds the writer lock for longer than the lock timeout (120 s).
   * @throws {@link StorageError} when the file system fails.
   */
  async restore(basePath: string, instant: string): Promise<RestoreResult> {
    return runTableService(this.ctx, basePath, (state) => restore(this.ctx, state, instant));
  }

  /**
   * The engine's DuckDB session, for Tidemark's adapters that run their own SQL (pipelines, the
   * CLI). Internal: not part of the public API, and its `rows` are DuckDB's value classes.
   * @internal
   */
  get duck(): DuckSession {
    return this.ctx.duck;
  }

  /**
   * Releases the engine's DuckDB instance; the engine cannot be used afterwards. Calling it twice is harmless.
   *
   * @throws Nothing of Tidemark's own (DuckDB's error if closing fails).
   */
  close(): void {
    this.ctx.duck.close();
  }
}
