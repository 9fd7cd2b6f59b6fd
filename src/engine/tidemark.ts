/**
 * The engine's front door: one DuckDB instance for the process, the file store and the clock, and
 * every table operation. Tables are addressed by their base path; no metastore is needed.
 */
import path from 'node:path';
import { LocalFileStore } from '../storage/local-file-store.ts';
import type { FileStore } from '../storage/file-store.ts';
import { DuckSession } from '../storage/duckdb/session.ts';
import type { Row } from '../storage/duckdb/values.ts';
import { type Clock, systemClock } from '../time/clock.ts';
import type { Instant } from '../timeline/instant.ts';
import { type CreateTableOptions, createTable } from './create-table.ts';
import type { WriteInput } from './input.ts';
import { type ReadOptions, readSql, relationSql, slicesForRead } from './read.ts';
import { KeyIndexCache, candidateSlices } from './key-lookup.ts';
import { InvalidArgumentError, StorageError, messageOf } from '../errors.ts';
import { sqlString } from '../storage/duckdb/sql.ts';
import { mayPrune, prunePartitions } from './partition-pruning.ts';
import type { FileSlice } from '../table/file-slice.ts';
import { rewriteScans } from './scan-rewrite.ts';
import { explainMissingBaseFile } from './missing-files.ts';
import { type TableState, loadTable } from './table-state.ts';
import { TableCache } from './table-cache.ts';
import { type RollbackResult, rollbackInstant } from './rollback.ts';
import { type CleanResult, assertNotCleaned, cleanTable } from './clean.ts';
import { restore, savepoint } from './savepoint.ts';
import { recoverDeadWriters } from './recovery.ts';
import { withTableLock } from './table-lock.ts';
import { checkWhereFilter } from './where-filter.ts';
import { checkReadOnlyStatement, runReadOnly } from './read-only-sql.ts';
import { sweepDeadRowFiles } from './row-files.ts';
import { type CommitResult, type EngineContext, type WriteOptions, writeTable } from './write.ts';
import { type WarningSink, Warnings } from './warnings.ts';
import type { WriteOperation } from './write-plan.ts';

/** A table read by a query, for naming a missing base file when the query fails. */
export interface ScannedTable {
  readonly path: string;
  readonly options: ReadOptions;
  /** The table as the query's SQL was built from it. */
  readonly state?: TableState;
}

/**
 * How many times a read is tried. A read builds its SQL from the timeline it loaded; a restore (or
 * a clean) that completes meanwhile may delete base files the read still names. A read that fails
 * while a scanned table's timeline changed under it starts over against the new timeline.
 */
const READ_ATTEMPTS = 4;

/** Options of an engine. */
export interface TidemarkOptions {
  readonly clock?: Clock;
  readonly store?: FileStore;
  /** Files of one commit written at once (default 2). */
  readonly writeConcurrency?: number;
  /** DuckDB threads (default: DuckDB's, the number of cores). */
  readonly threads?: number;
  readonly memoryLimit?: string;
  /** Receives warnings (steps after a commit landed that failed); default: one line on stderr. */
  readonly onWarning?: WarningSink;
}

/** Options of `lookup`. */
export interface LookupOptions {
  /** Search only this partition (its path, e.g. `dt=2024-01-01`). */
  readonly partitionPath?: string;
  /** Look up the records as of this instant instead of the latest. */
  readonly asOf?: string;
}

/** What `savepoint` did. */
export interface SavepointResult {
  /** The commit pinned. */
  readonly instant: string;
  /** Base files the savepoint keeps. */
  readonly files: number;
}

/** What `restore` did. */
export interface RestoreResult {
  /** The `restore` instant recorded. */
  readonly restoreInstant: string;
  /** The commits undone, latest first. */
  readonly rolledBack: string[];
}

/** One line of `commits`: an instant and what it did. */
export interface CommitInfo extends Instant {
  readonly operation: string | undefined;
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
  readonly rowsWritten: number;
  readonly filesWritten: number;
  readonly replacedFileGroups: number;
}

/** Tidemark's copy-on-write engine. Close it when done. */
export class Tidemark {
  private readonly keyIndexes = new KeyIndexCache();
  private tables: TableCache | undefined;

  private constructor(private readonly ctx: EngineContext) {}

  /** Opens an engine with its own in-memory DuckDB. */
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

  /** Creates an empty table. */
  async createTable(basePath: string, options: CreateTableOptions): Promise<TableState> {
    await createTable(this.ctx, path.resolve(basePath), options);
    return this.table(basePath);
  }

  /**
   * Loads a table's config, timeline and file index; kept between calls while the table's
   * timeline is unchanged (see `TableCache`).
   */
  async table(basePath: string): Promise<TableState> {
    this.tables ??= new TableCache(this.ctx.store);
    return this.tables.load(path.resolve(basePath));
  }

  /** Writes one batch as one commit. */
  async write(basePath: string, input: WriteInput, options: WriteOptions): Promise<CommitResult> {
    return writeTable(this.ctx, path.resolve(basePath), input, options);
  }

  /** Upserts a batch: new keys inserted, stored keys updated unless the stored version is newer. */
  async upsert(basePath: string, input: WriteInput, options: Omit<WriteOptions, 'operation'> = {}): Promise<CommitResult> {
    return this.write(basePath, input, { ...options, operation: 'upsert' });
  }

  /** Shorthand for the other operations. */
  async apply(operation: WriteOperation, basePath: string, input: WriteInput, options: Omit<WriteOptions, 'operation'> = {}): Promise<CommitResult> {
    return this.write(basePath, input, { ...options, operation });
  }

  /** The SELECT statement of a read, for use inside larger SQL. */
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

  /** The file slices a read would scan (after pruning), for inspection and tests. */
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

  /** Reads rows, as plain JavaScript values (see `Value` for the mapping of DuckDB's types). */
  async read(basePath: string, options: ReadOptions = {}): Promise<Row[]> {
    return this.run(`reading ${basePath}`, async (scans) => {
      const { sql, state } = await this.readQuery(basePath, options);
      scans.push({ path: basePath, options, state });
      return sql;
    });
  }

  /**
   * Runs SQL in which tables are addressed as `tidemark_scan('path', ...)`; `resolve` maps each
   * address to a base path first (the CLI resolves registered names with it). Rows are plain
   * JavaScript values, as `read`'s.
   */
  async sql(statement: string, resolve?: (nameOrPath: string) => Promise<string>): Promise<Row[]> {
    return this.run('the SQL statement', (scans) => this.expandSql(statement, resolve, scans));
  }

  /**
   * `sql` for untrusted SQL: one query only, run in a DuckDB instance that can read nothing but the
   * base files of the tables it scans (no other file, no COPY, ATTACH or extension); see
   * `read-only-sql.ts`. Returns the column names too (an empty result still has them).
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
   * Runs the query `build` makes (recording the tables it scans), telling the user's mistakes
   * (parse, bind, catalog errors) from failures of the files; a base file gone missing from a
   * scanned table is named. A failure while a scanned table's timeline changed starts over.
   */
  private async run(what: string, build: (scans: ScannedTable[]) => Promise<string>): Promise<Row[]> {
    for (let attempt = 1; ; attempt++) {
      const scans: ScannedTable[] = [];
      const sql = await build(scans);
      try {
        return await this.ctx.duck.plainRows(sql);
      } catch (error) {
        const message = messageOf(error);
        if (/^(Parser|Binder|Catalog|Conversion|Invalid Input|Not implemented) Error/.test(message.replace(/^Error: /, ''))) {
          throw new InvalidArgumentError(`${what} failed: ${message}`, { cause: error });
        }
        if (attempt < READ_ATTEMPTS && (await this.timelineMoved(scans))) continue;
        throw await this.explainFailure(what, error, scans);
      }
    }
  }

  /** Whether a scanned table's timeline changed since the query's SQL was built from it. */
  private async timelineMoved(scans: ReadonlyArray<ScannedTable>): Promise<boolean> {
    for (const scan of scans) {
      // A table that no longer loads has changed too; the next attempt raises why.
      if (scan.state !== undefined && (await this.table(scan.path).catch(() => undefined)) !== scan.state) return true;
    }
    return false;
  }

  /** The error a failed query over `scans` raises: a missing base file named, else a StorageError. */
  private async explainFailure(what: string, error: unknown, scans: ReadonlyArray<ScannedTable>): Promise<unknown> {
    for (const scan of scans) {
      const state = await this.table(scan.path);
      const { asOf, since, until } = scan.options;
      const slices = slicesForRead(state, { ...(asOf === undefined ? {} : { asOf }), ...(since === undefined ? {} : { since }), ...(until === undefined ? {} : { until }) }).slices;
      const explained = await explainMissingBaseFile(this.ctx.store, state, slices.map((s) => s.baseFile), what, error);
      if (explained !== error) return explained;
    }
    return new StorageError(`${what} failed: ${messageOf(error)}`, { cause: error });
  }

  /** The statement with every `tidemark_scan` call replaced by its read; `scans` collects the tables read. */
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
   */
  async lookup(basePath: string, keys: ReadonlyArray<string>, options: LookupOptions = {}): Promise<Row[]> {
    const state = await this.table(basePath);
    if (!state.config.populateMetaFields) {
      throw new InvalidArgumentError(`table ${state.config.name} at ${state.basePath} has no record keys stored (meta fields off); use read with a filter`, { table: state.basePath });
    }
    const all = slicesForRead(state, options.asOf === undefined ? {} : { asOf: options.asOf }).slices;
    const inPartition = options.partitionPath === undefined ? all : all.filter((s) => s.partitionPath === options.partitionPath);
    try {
      const slices = await candidateSlices(this.ctx.duck, this.keyIndexes, state.basePath, inPartition, keys);
      if (slices.length === 0 || keys.length === 0) return [];
      return await this.ctx.duck.plainRows(`SELECT * FROM ${relationSql(state, slices)} WHERE _hoodie_record_key IN (${keys.map(keyLiteral).join(', ')})`);
    } catch (error) {
      throw await explainMissingBaseFile(this.ctx.store, state, inPartition.map((s) => s.baseFile), `looking up keys in ${basePath}`, error);
    }
  }

  /** The timeline with what each completed write did. */
  async commits(basePath: string): Promise<CommitInfo[]> {
    const state = await this.table(basePath);
    return state.timeline.instants.map((instant) => {
      const m = state.commits.get(instant.time);
      const info = { inserted: 0, updated: 0, deleted: 0, rowsWritten: 0, filesWritten: 0 };
      for (const stats of Object.values(m?.partitionToWriteStats ?? {})) {
        for (const s of stats) {
          info.inserted += s.numInserts;
          info.updated += s.numUpdateWrites;
          info.deleted += s.numDeletes;
          info.rowsWritten += s.numWrites;
          if (s.path !== null) info.filesWritten += 1;
        }
      }
      const replacedFileGroups = Object.values(m?.partitionToReplaceFileIds ?? {}).reduce((n, ids) => n + ids.length, 0);
      return { ...instant, operation: m?.operationType, ...info, replacedFileGroups };
    });
  }

  /**
   * Undoes a commit: the latest completed write, or a pending one a dead writer left. Recorded as a
   * Hudi `rollback` instant; takes the table's writer lock.
   */
  async rollback(basePath: string, instant: string): Promise<RollbackResult> {
    return this.service(basePath, (state) => rollbackInstant(this.ctx, state, instant));
  }

  /** Deletes file slices no reader of the last `retainCommits` commits needs (Hudi's KEEP_LATEST_COMMITS). */
  async clean(basePath: string, options: { retainCommits?: number } = {}): Promise<CleanResult> {
    return this.service(basePath, (state) => cleanTable(this.ctx, state, options.retainCommits ?? state.config.commitsRetained));
  }

  /** Pins a completed commit: the cleaner keeps its files, and `restore` can return to it. */
  async savepoint(basePath: string, instant: string, comment?: string): Promise<SavepointResult> {
    return this.service(basePath, (state) => savepoint(this.ctx, state, instant, comment));
  }

  /** Returns the table to a savepoint, undoing every later commit in one `restore` instant. */
  async restore(basePath: string, instant: string): Promise<RestoreResult> {
    return this.service(basePath, (state) => restore(this.ctx, state, instant));
  }

  /**
   * Runs a table service under the writer lock, after clearing what dead writers left. Once the
   * service is done (its instant published), a failure releasing the lock is only a warning.
   */
  private async service<T>(basePath: string, fn: (state: TableState) => Promise<T>): Promise<T> {
    const base = path.resolve(basePath);
    const done: { result?: { value: T } } = {};
    try {
      await withTableLock(
        this.ctx.store,
        base,
        async () => {
          const state = await recoverDeadWriters(this.ctx, await loadTable(this.ctx.store, base));
          done.result = { value: await fn(state) };
        },
        this.ctx.lockTimeoutMs,
      );
    } catch (error) {
      if (done.result === undefined) throw error;
      new Warnings(this.ctx.onWarning).add(`the table service on ${base} succeeded, but releasing its writer lock failed`, error);
    }
    return done.result!.value;
  }

  /**
   * The engine's DuckDB session, for Tidemark's adapters that run their own SQL (pipelines, the
   * CLI). Internal: not part of the public API, and its `rows` are DuckDB's value classes.
   * @internal
   */
  get duck(): DuckSession {
    return this.ctx.duck;
  }

  /** Releases DuckDB. */
  close(): void {
    this.ctx.duck.close();
  }
}

/** A record key as a SQL literal; NUL characters (which SQL text cannot hold) as `chr(0)`. */
function keyLiteral(key: string): string {
  return key.split('\u0000').map(sqlString).join(' || chr(0) || ');
}
