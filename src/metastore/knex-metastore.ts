/**
 * The metastore over knex and PostgreSQL: a server (`pg`) or embedded PGlite (`knex-pglite`). Both run
 * the same migrations in `migrations/`, and the same SQL; the one difference is how a lock's session
 * is held (see {@link SessionMode}).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import { InvalidArgumentError, MetastoreError, TidemarkError, messageOf } from '../errors.ts';
import { isInstantTime } from '../timeline/instant.ts';
import { COUNT_COLUMNS, type Row, toRun, toTable } from './knex-rows.ts';
import { type Metastore, type PipelineRun, type RegisteredTable, RUN_STATUSES, type RunOutcome, type RunKind, RUN_KINDS, type RunQuery, type RunStatus, type TableRegistration } from './metastore.ts';

/**
 * The project's migrations, found from this file so `migrate()` works from any working directory:
 * `migrations/*.ts` beside `src/` when Tidemark runs from its sources (tests), `dist/migrations/*.js`
 * when it runs compiled (the package).
 */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));
/** Migration file extensions to load: the sources' and the compiled package's. */
export const MIGRATION_EXTENSIONS: ReadonlyArray<string> = ['.ts', '.js'];

/**
 * How `withLock` holds its advisory lock's session. `dedicated`: one pooled connection is taken for
 * the whole of `fn` (a server; `fn` may use the store through the other pooled connections).
 * `shared`: the pool has a single connection, which is the only session (PGlite); holding it would
 * deadlock any query `fn` makes, so the lock is taken and released by ordinary queries on it.
 */
export type SessionMode = 'dedicated' | 'shared';

/** Options of {@link KnexMetastore}. */
export interface KnexMetastoreOptions {
  /** Default: `shared` when the pool holds at most one connection, else `dedicated`. */
  readonly sessionMode?: SessionMode;
  /** Runs after `close()` has destroyed the knex instance (e.g. to release a lock file). */
  readonly onClose?: () => Promise<void> | void;
}

// A key's advisory lock: non-re-entrant on purpose. PostgreSQL lets a session take its own lock again,
// which on PGlite (one session for everyone) would make every lock free; so a session that already
// holds the key is told no, as any other session would be. pg_locks splits the bigint key in two.
const TRY_LOCK_SQL = `
select case when exists (
    select 1 from pg_catalog.pg_locks l
    where l.locktype = 'advisory' and l.pid = pg_backend_pid() and l.granted and l.objsubid = 1
      and l.classid::bigint = (k.key >> 32) & 4294967295 and l.objid::bigint = k.key & 4294967295
  ) then false else pg_try_advisory_lock(k.key) end as acquired
from (select hashtextextended(?, 0) as key) k`;
const UNLOCK_SQL = 'select pg_advisory_unlock(hashtextextended(?, 0)) as released';
/** The recorded latest instant as a 17-digit time, compared bytewise (not by the database's collation). */
const INSTANT_17 = `(case when length(latest_instant) = 14 then latest_instant || '000' else latest_instant end) collate "C"`;
const MIGRATE_LOCK_KEY = 'tidemark:metastore:migrate';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The parts of knex's (untyped) client that locking needs. */
interface PoolClient {
  readonly config: { readonly pool?: { readonly max?: number } };
  acquireConnection(): Promise<Record<string, unknown>>;
  releaseConnection(connection: unknown): Promise<unknown>;
}

/**
 * Migrations read from a directory and loaded with this module's `import()`. A migration is named by
 * its source file (`…_create_pipeline_log.ts`) whether it runs from the source or compiled to `.js`,
 * so a metastore migrated by either (or by the knex CLI through the knexfile) agrees with the other.
 */
class DirectoryMigrationSource implements Knex.MigrationSource<string> {
  constructor(private readonly directory: string) {}
  async getMigrations(): Promise<string[]> {
    const files = await readdir(this.directory);
    return files.filter((f) => MIGRATION_EXTENSIONS.includes(path.extname(f)) && !f.endsWith('.d.ts')).sort();
  }
  getMigrationName(file: string): string {
    return `${path.basename(file, path.extname(file))}.ts`;
  }
  async getMigration(file: string): Promise<Knex.Migration> {
    return (await import(pathToFileURL(path.join(this.directory, file)).href)) as Knex.Migration;
  }
}

/** {@link Metastore} over a knex PostgreSQL (or PGlite) instance; owns the instance and destroys it on close. */
export class KnexMetastore implements Metastore {
  /** How locks hold their session. */
  readonly sessionMode: SessionMode;
  private migrating: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    /** The knex instance; exposed for tests and tools that need raw SQL on the same store. */
    readonly knex: Knex,
    private readonly options: KnexMetastoreOptions = {},
  ) {
    const max = (knex.client as PoolClient).config.pool?.max;
    this.sessionMode = options.sessionMode ?? (max !== undefined && max <= 1 ? 'shared' : 'dedicated');
  }

  /** Applies pending migrations; serialised in-process, and across processes by an advisory lock. */
  async migrate(): Promise<void> {
    const run = this.migrating.then(() =>
      this.wrap('could not migrate the metastore schema', async () => {
        const migrationSource = new DirectoryMigrationSource(MIGRATIONS_DIR);
        // Fast path for every start-up but the first: knex's no-op `latest` still takes its lock in a
        // transaction (a dozen queries, ~0.3 s on PGlite). Applied migrations are never removed, so
        // "all applied" seen without the lock stays true.
        if (await this.allApplied(migrationSource)) return;
        const migrate = () => this.knex.migrate.latest({ migrationSource });
        // knex's own lock table is no help here: a loser fails ("already locked") instead of waiting,
        // and two first runs race creating knex_migrations. A blocking advisory lock makes them queue.
        if (this.sessionMode === 'shared') await migrate();
        else await this.onDedicatedConnection(MIGRATE_LOCK_KEY, 'pg_advisory_lock', migrate);
      }),
    );
    this.migrating = run.catch(() => undefined);
    return run;
  }

  /** Whether Tidemark's tables exist here (the first migration has run). */
  async initialised(): Promise<boolean> {
    return this.wrap('could not read the metastore schema', async () => {
      const rows = (await this.knex.raw(`select to_regclass('pipeline_log') is not null and to_regclass('table_registry') is not null as present`)).rows as Row[];
      return rows[0]?.present === true;
    });
  }

  /** Whether every migration file is recorded in `knex_migrations` (of the current schema). */
  private async allApplied(source: DirectoryMigrationSource): Promise<boolean> {
    const files = (await source.getMigrations()).map((f) => source.getMigrationName(f));
    const present = (await this.knex.raw(`select to_regclass('knex_migrations') is not null as present`)).rows as Row[];
    if (present[0]?.present !== true) return false;
    const applied = new Set<unknown>(await this.knex('knex_migrations').pluck('name'));
    return files.every((file) => applied.has(file));
  }

  /** Inserts or updates a registration; created_at survives re-registration. */
  async registerTable(table: TableRegistration): Promise<RegisteredTable> {
    if (!table.database || !table.name) throw new InvalidArgumentError('a table registration needs a database and a name', { value: table });
    const row = {
      database_name: table.database,
      table_name: table.name,
      base_path: table.basePath,
      record_key_fields: JSON.stringify(table.recordKeyFields),
      precombine_field: table.precombineField,
      partition_fields: JSON.stringify(table.partitionFields),
      table_type: table.tableType,
      schema: table.schema,
      properties: JSON.stringify(table.properties),
      latest_instant: table.latestInstant,
      updated_at: this.knex.fn.now(),
    };
    const keys = ['database_name', 'table_name'];
    return this.wrap(`could not register table ${table.database}.${table.name}`, async () => {
      const rows: Row[] = await this.knex('table_registry').insert(row).onConflict(keys)
        .merge(Object.keys(row).filter((c) => !keys.includes(c))).returning('*');
      return toTable(rows[0]!);
    });
  }

  /** The registration of `database.name`, if any. */
  async getTable(database: string, name: string): Promise<RegisteredTable | undefined> {
    return this.wrap(`could not read table ${database}.${name}`, async () => {
      const row: Row | undefined = await this.knex('table_registry').where({ database_name: database, table_name: name }).first();
      return row === undefined ? undefined : toTable(row);
    });
  }

  /** All registrations, by database then name. */
  async listTables(): Promise<RegisteredTable[]> {
    return this.wrap('could not list tables', async () => {
      const rows: Row[] = await this.knex('table_registry').orderBy(['database_name', 'table_name']);
      return rows.map(toTable);
    });
  }

  /**
   * Compare-and-swap: one conditional UPDATE (atomic in PostgreSQL) that sets the latest instant
   * (and a non-null `schema`; null keeps the recorded one) only when it moves the recorded instant
   * forward, instants compared as 17-digit times (a 14-digit one is its second's `000` millisecond).
   */
  async updateTableState(database: string, name: string, latestInstant: string, schema: string | null): Promise<boolean> {
    if (!isInstantTime(latestInstant)) throw new InvalidArgumentError(`latest instant of table ${database}.${name} must be an instant time of 14 or 17 digits (got "${latestInstant}")`, { value: latestInstant });
    return this.wrap(`could not update the state of table ${database}.${name}`, async () => {
      const moved: Row[] = await this.knex('table_registry')
        .where({ database_name: database, table_name: name })
        .where((q) => q.whereNull('latest_instant').orWhereRaw(`${INSTANT_17} < ?`, [`${latestInstant}000`.slice(0, 17)]))
        .update({ latest_instant: latestInstant, schema: schema ?? this.knex.ref('schema'), updated_at: this.knex.fn.now() }, ['table_name']);
      if (moved.length > 0) return true;
      const row: Row | undefined = await this.knex('table_registry').select('table_name').where({ database_name: database, table_name: name }).first();
      if (row === undefined) throw new InvalidArgumentError(`table ${database}.${name} is not registered in the metastore`, { value: `${database}.${name}` });
      return false;
    });
  }

  /** Deletes the registration row of `database.name`; the table's files are not touched. */
  async unregisterTable(database: string, name: string): Promise<boolean> {
    return this.wrap(`could not unregister table ${database}.${name}`, async () => {
      // Counted from returned rows: knex-pglite does not report a bare delete's row count.
      const gone: Row[] = await this.knex('table_registry').where({ database_name: database, table_name: name }).del(['table_name']);
      return gone.length > 0;
    });
  }

  /** Inserts a RUNNING run with zero counts. */
  async startRun(run: Omit<PipelineRun, keyof RunOutcome>): Promise<void> {
    checkUuid(run.runId);
    for (const [field, value] of [['currentRunTimestamp', run.currentRunTimestamp], ['startedAt', run.startedAt], ['lastRunTimestamp', run.lastRunTimestamp]] as const) {
      if (value !== null && Number.isNaN(value.getTime())) throw new InvalidArgumentError(`run ${run.runId}: ${field} is not a valid date`, { value });
    }
    return this.wrap(`could not record the start of run ${run.runId} of pipeline ${run.pipelineName}`, async () => {
      await this.knex('pipeline_log').insert({
        run_id: run.runId,
        pipeline_name: run.pipelineName,
        target_table: run.targetTable,
        status: 'RUNNING' satisfies RunStatus,
        last_run_timestamp: run.lastRunTimestamp,
        current_run_timestamp: run.currentRunTimestamp,
        started_at: run.startedAt,
        run_kind: run.kind ?? ('incremental' satisfies RunKind),
      });
    });
  }

  /** Closes a RUNNING run; a null `endedAt` is recorded as the store's now. */
  async finishRun(runId: string, outcome: RunOutcome): Promise<void> {
    checkUuid(runId);
    if (outcome.status === 'RUNNING') throw new InvalidArgumentError(`run ${runId} cannot finish as RUNNING`, { value: outcome.status });
    const counts = Object.fromEntries(Object.entries(COUNT_COLUMNS).map(([field, column]) => [column, outcome[field as keyof typeof COUNT_COLUMNS]]));
    return this.wrap(`could not record the end of run ${runId}`, async () => {
      const done: Row[] = await this.knex('pipeline_log').where({ run_id: runId, status: 'RUNNING' }).update({
        ...counts,
        status: outcome.status,
        commit_instant: outcome.commitInstant,
        ended_at: outcome.endedAt ?? this.knex.fn.now(),
        processing_time_seconds: outcome.processingTimeSeconds,
        error_message: outcome.errorMessage,
        ...(outcome.sourceCheckpoint === undefined ? {} : { source_checkpoint: outcome.sourceCheckpoint }),
        ...(outcome.sourceLag === undefined ? {} : { source_lag: outcome.sourceLag }),
        ...(outcome.sourceSkipped === undefined ? {} : { source_skipped: outcome.sourceSkipped }),
      }, ['run_id']);
      if (done.length > 0) return;
      const existing: Row | undefined = await this.knex('pipeline_log').select('status').where({ run_id: runId }).first();
      throw new InvalidArgumentError(existing === undefined ? `no run ${runId} in the pipeline log` : `run ${runId} is already ${String(existing.status)}`, { value: runId });
    });
  }

  /** The `incremental` SUCCESS run with the latest window end (ties: latest end time); backfills are not watermarks. */
  async lastSuccess(pipelineName: string): Promise<PipelineRun | undefined> {
    return this.wrap(`could not read the last successful run of pipeline ${pipelineName}`, async () => {
      const row: Row | undefined = await this.knex('pipeline_log')
        .where({ pipeline_name: pipelineName, status: 'SUCCESS', run_kind: 'incremental' satisfies RunKind })
        .orderBy([{ column: 'current_run_timestamp', order: 'desc' }, { column: 'ended_at', order: 'desc', nulls: 'last' }])
        .first();
      return row === undefined ? undefined : toRun(row);
    });
  }

  /** Runs matching `query`, by start time then `run_seq` (the insertion order), oldest first unless `newestFirst`. */
  async runs(query: RunQuery = {}): Promise<PipelineRun[]> {
    if (query.limit !== undefined && !(Number.isSafeInteger(query.limit) && query.limit > 0)) {
      throw new InvalidArgumentError(`a run listing's limit must be a positive integer (got ${query.limit})`, { value: query.limit });
    }
    if (query.status !== undefined && !RUN_STATUSES.includes(query.status)) {
      throw new InvalidArgumentError(`unknown run status "${String(query.status)}" (known: ${RUN_STATUSES.join(', ')})`, { value: query.status });
    }
    if (query.kind !== undefined && !RUN_KINDS.includes(query.kind)) throw new InvalidArgumentError(`unknown run kind "${String(query.kind)}" (known: ${RUN_KINDS.join(', ')})`, { value: query.kind });
    return this.wrap('could not list pipeline runs', async () => {
      const q = this.knex('pipeline_log');
      if (query.pipelineName !== undefined) q.where('pipeline_name', query.pipelineName);
      if (query.since !== undefined) q.where('started_at', '>=', query.since);
      if (query.status !== undefined) q.where('status', query.status);
      if (query.kind !== undefined) q.where('run_kind', query.kind);
      const order = query.newestFirst === true ? 'desc' : 'asc';
      q.orderBy([{ column: 'started_at', order }, { column: 'run_seq', order }]);
      if (query.limit !== undefined) q.limit(query.limit);
      const rows: Row[] = await q;
      return rows.map(toRun);
    });
  }

  /** Deletes the `pipeline_log` rows of the named pipelines, in one statement. */
  async deleteRuns(pipelineNames: ReadonlyArray<string>): Promise<number> {
    if (pipelineNames.length === 0) return 0;
    return this.wrap(`could not delete the runs of pipeline${pipelineNames.length === 1 ? '' : 's'} ${pipelineNames.join(', ')}`, async () => {
      const gone: Row[] = await this.knex('pipeline_log').whereIn('pipeline_name', [...pipelineNames]).del(['run_id']);
      return gone.length;
    });
  }

  /** Runs `fn` under the advisory lock `key`, or returns `{ acquired: false }` at once if it is held (also by this session). */
  async withLock<T>(key: string, fn: () => Promise<T>): Promise<{ acquired: true; value: T } | { acquired: false }> {
    if (this.sessionMode === 'dedicated') return this.onDedicatedConnection(key, 'try', fn);
    const rows = await this.wrap(`could not take lock "${key}"`, async () => (await this.knex.raw(TRY_LOCK_SQL, [key])).rows as Row[]);
    if (rows[0]?.acquired !== true) return { acquired: false };
    let value: T;
    try {
      value = await fn();
    } catch (error) {
      await this.knex.raw(UNLOCK_SQL, [key]).catch(() => undefined); // fn's error is the one to report
      throw error;
    }
    await this.wrap(`could not release lock "${key}"`, () => this.knex.raw(UNLOCK_SQL, [key]));
    return { acquired: true, value };
  }

  /** Destroys the knex instance (closing PGlite), then runs `onClose`; later calls do nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.wrap('could not close the metastore', () => this.knex.destroy());
    } finally {
      await this.options.onClose?.();
    }
  }

  /** Takes `key` on one pooled connection (blocking, or trying), runs `fn`, unlocks on that same connection. */
  private async onDedicatedConnection<T>(key: string, how: 'try' | 'pg_advisory_lock', fn: () => Promise<T>): Promise<{ acquired: true; value: T } | { acquired: false }> {
    const client = this.knex.client as PoolClient;
    const connection = await this.wrap(`could not take lock "${key}"`, () => client.acquireConnection());
    try {
      const sql = how === 'try' ? TRY_LOCK_SQL : 'select pg_advisory_lock(hashtextextended(?, 0)), true as acquired';
      const rows = await this.wrap(`could not take lock "${key}"`, async () => (await this.knex.raw(sql, [key]).connection(connection)).rows as Row[]);
      if (rows[0]?.acquired !== true) return { acquired: false };
      try {
        return { acquired: true, value: await fn() };
      } finally {
        try {
          await this.knex.raw(UNLOCK_SQL, [key]).connection(connection);
        } catch (error) {
          // Unlocking failed (typically: the session died, which already freed the lock). Ending the
          // session frees it in every case, so fn's outcome stands; knex's pool then discards the
          // connection it sees marked disposed.
          connection.__knex__disposed = `advisory unlock of "${key}" failed: ${messageOf(error)}`;
          await (connection as { end?: () => Promise<void> }).end?.().catch(() => undefined);
        }
      }
    } finally {
      await client.releaseConnection(connection);
    }
  }

  /** Runs `fn`, turning driver errors into {@link MetastoreError}s that say what failed. */
  private async wrap<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof TidemarkError) throw error;
      throw new MetastoreError(`${what}: ${messageOf(error)}`, { cause: error });
    }
  }
}

function checkUuid(runId: string): void {
  if (!UUID.test(runId)) throw new InvalidArgumentError(`run id must be a UUID (got "${runId}")`, { value: runId });
}
