/**
 * The metastore port: a registry of tables and the pipeline run log (`pipeline_log`). Adapters:
 * `knex-metastore.ts` over PostgreSQL (a server, or embedded PGlite under the warehouse). Engine
 * code never needs it: tables are readable by path alone; the registry adds names and the log adds
 * watermarks.
 */

/** Run states, in the order a run moves through them. */
export const RUN_STATUSES = ['RUNNING', 'SUCCESS', 'FAILED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * What a run's window is. `incremental`: the window the watermark gives (first loads and full
 * refreshes included); its SUCCESS moves the watermark. `backfill`: an explicit day window
 * (`daily-run --from/--to`); it never moves the watermark, nor counts for whether a pipeline is due.
 */
export const RUN_KINDS = ['incremental', 'backfill'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/** A table known by name (`database.name`). */
export interface RegisteredTable {
  readonly database: string;
  readonly name: string;
  readonly basePath: string;
  readonly recordKeyFields: ReadonlyArray<string>;
  readonly precombineField: string | null;
  readonly partitionFields: ReadonlyArray<string>;
  readonly tableType: string;
  /** Avro schema JSON of the data columns, as last seen. */
  readonly schema: string | null;
  readonly properties: Readonly<Record<string, string>>;
  readonly latestInstant: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What registering a table takes (timestamps are the store's). */
export type TableRegistration = Omit<RegisteredTable, 'createdAt' | 'updatedAt'>;

/** One run of a pipeline: a `pipeline_log` row. */
export interface PipelineRun {
  readonly runId: string;
  readonly pipelineName: string;
  readonly targetTable: string;
  readonly status: RunStatus;
  /** Window start (exclusive); null for a first, full load. Template column `last_run_timestamp`. */
  readonly lastRunTimestamp: Date | null;
  /** Window end (inclusive): the watermark a SUCCESS advances to. Template column `current_run_timestamp`. */
  readonly currentRunTimestamp: Date;
  readonly recordsProcessed: number;
  readonly recordsRead: number;
  readonly recordsInserted: number;
  readonly recordsUpdated: number;
  readonly recordsDeleted: number;
  readonly recordsSkippedOlder: number;
  readonly recordsRejected: number;
  /** Record keys the run's write left in two partitions (the target's default, non-global index). */
  readonly keysInTwoPartitions: number;
  readonly commitInstant: string | null;
  readonly startedAt: Date;
  readonly endedAt: Date | null;
  readonly processingTimeSeconds: number | null;
  readonly errorMessage: string | null;
  /** `backfill` for a backfill run; absent means `incremental` (the default, and every older row). */
  readonly kind?: RunKind;
  /** A stream source's checkpoint after the run (`topic,0:12,1:40`, as its commit carries it); absent for other sources. */
  readonly sourceCheckpoint?: string | null;
  /** Messages a stream run left for later (`maxRecords`), as of its start; absent for other sources. */
  readonly sourceLag?: number | null;
  /** Messages a stream run passed over (its checkpoint was out of range); absent or 0 when none. */
  readonly sourceSkipped?: number;
}

/** The outcome that closes a run. */
export type RunOutcome = Pick<
  PipelineRun,
  | 'status'
  | 'recordsProcessed'
  | 'recordsRead'
  | 'recordsInserted'
  | 'recordsUpdated'
  | 'recordsDeleted'
  | 'recordsSkippedOlder'
  | 'recordsRejected'
  | 'keysInTwoPartitions'
  | 'commitInstant'
  | 'endedAt'
  | 'processingTimeSeconds'
  | 'errorMessage'
  | 'sourceCheckpoint'
  | 'sourceLag'
  | 'sourceSkipped'
>;

/** Which runs to list. */
export interface RunQuery {
  readonly pipelineName?: string;
  /** Runs started at or after this time. */
  readonly since?: Date;
  readonly status?: RunStatus;
  /** Only runs of this kind. */
  readonly kind?: RunKind;
  /** Latest start first (default: oldest first); with `limit`, the latest N runs rather than the first N. */
  readonly newestFirst?: boolean;
  /** At most this many runs (a positive integer), taken in the listing's order: the log keeps growing, and a listing asks for a page of it. */
  readonly limit?: number;
}

/** The metastore operations Tidemark needs. */
export interface Metastore {
  /** Brings the schema to the latest migration (idempotent). */
  migrate(): Promise<void>;

  /** Registers a table, or updates the registration of the same `database.name`. */
  registerTable(table: TableRegistration): Promise<RegisteredTable>;
  getTable(database: string, name: string): Promise<RegisteredTable | undefined>;
  listTables(): Promise<RegisteredTable[]>;
  /**
   * Records the latest completed instant (and schema, unless null) of a table after a commit, as a
   * compare-and-swap: only when `latestInstant` (14 or 17 digits) is later than the recorded one (or
   * none is recorded), so writers finishing out of order never move it backwards. Resolves to whether
   * it moved; false is no error (the registry already shows a later, or the same, commit). Throws
   * `InvalidArgumentError` when the table is not registered or `latestInstant` is not an instant time.
   */
  updateTableState(database: string, name: string, latestInstant: string, schema: string | null): Promise<boolean>;
  /** Removes the registration of `database.name` (never the table's files); resolves to whether there was one. */
  unregisterTable(database: string, name: string): Promise<boolean>;

  /** Inserts a RUNNING run. */
  startRun(run: Omit<PipelineRun, keyof RunOutcome>): Promise<void>;
  /** Closes a run as SUCCESS or FAILED. */
  finishRun(runId: string, outcome: RunOutcome): Promise<void>;
  /** The latest SUCCESS `incremental` run of a pipeline, by window end: its watermark (backfills never move it). */
  lastSuccess(pipelineName: string): Promise<PipelineRun | undefined>;
  /** Runs matching `query`, by start time (ties: the order they were started), oldest first unless `newestFirst`. */
  runs(query?: RunQuery): Promise<PipelineRun[]>;
  /** Deletes every run of the named pipelines (their whole history, watermarks included); resolves to the rows deleted. */
  deleteRuns(pipelineNames: ReadonlyArray<string>): Promise<number>;

  /**
   * Runs `fn` holding an exclusive lock named `key` (a PostgreSQL advisory lock held on one
   * connection); resolves to `{ acquired: false }` at once when another session holds it.
   */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<{ acquired: true; value: T } | { acquired: false }>;

  close(): Promise<void>;
}
