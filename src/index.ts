/**
 * Tidemark's public API: the copy-on-write engine, its option and result types, and its errors.
 *
 * @example
 * ```ts
 * import { Tidemark } from 'tidemark';
 * const tm = await Tidemark.open();
 * await tm.upsert('warehouse/orders', { file: 'orders.parquet' }, {
 *   create: { name: 'orders', recordKeyFields: ['order_id'], precombineField: 'updated_at', partitionFields: ['order_date'] },
 * });
 * const rows = await tm.sql(`SELECT count(*) AS n FROM tidemark_scan('warehouse/orders')`);
 * console.log(rows[0]?.n); // 42n: rows are plain JavaScript values (see `Value`)
 * tm.close();
 * ```
 */
export {
  Tidemark,
  type TidemarkOptions,
  type CommitInfo,
  type LookupOptions,
  type SavepointResult,
  type RestoreResult,
  type ScannedTable,
} from './engine/tidemark.ts';
export type { Row, Value } from './storage/duckdb/values.ts';
export type { CommitResult, WriteOptions, WriteProgress } from './engine/write/write-options.ts';
export type { ScanResolver } from './engine/read/read-planner.ts';
export type { WarningSink } from './engine/context.ts';
export type { RollbackResult } from './engine/services/rollback.ts';
export type { CleanResult } from './engine/services/clean.ts';
export { WRITE_OPERATIONS, type WriteOperation, type RecordCounts } from './engine/write/write-plan.ts';
export type { WriteInput, InputFormat } from './engine/write/input.ts';
export type { ReadOptions } from './engine/read/read.ts';
export type { CreateTableOptions } from './engine/write/create-table.ts';
export type { TableState } from './engine/load/table-state.ts';
export type { NewTableOptions, TableConfig, KeyGenerator } from './table/table-config.ts';
export type { ColumnType, Field, Schema } from './table/schema.ts';
export type { FileSlice, Replacement } from './table/file-slice.ts';
export type { BaseFile } from './table/base-file.ts';
export type { Instant, Action, InstantState } from './timeline/instant.ts';
export type { Timeline } from './timeline/timeline.ts';
export type { CommitMetadata, WriteStat } from './timeline/commit-metadata.ts';
export type { FileStore, FileEntry } from './storage/file-store.ts';
export { type Clock, FixedClock, systemClock } from './time/clock.ts';
export * from './errors.ts';
export { runPipeline, dailyRun, pipelineStatus, type WithSession } from './api.ts';
export { TidemarkSession, type SessionOptions } from './session.ts';
export type { ConfigFlags, ResolvedConfig } from './config/config.ts';
export type { CatalogProblem } from './definitions/load-catalog.ts';
export type { Logger } from './logging/logger.ts';
export type { PipelineContext } from './pipeline/context.ts';
export { definePipeline } from './pipeline/definition.ts';
export type {
  PipelineDefinition,
  SourceDefinition,
  FilesSource,
  PostgresSource,
  KafkaSource,
  NatsSource,
  StreamSourceOptions,
  TableSource,
  CheckDefinition,
  TargetDefinition,
  Scd2Columns,
  Schedule,
  Lookback,
} from './pipeline/definition.ts';
export type { RunResult, RunOptions, RunResultStatus } from './pipeline/run-pipeline.ts';
export type { SourcePosition } from './pipeline/sources/checkpointed.ts';
export type { Window } from './pipeline/window.ts';
export type { CheckResult, CheckSample } from './pipeline/checks.ts';
export type { RunStep } from './pipeline/run-steps.ts';
export type { DailyRunOptions, DailyRunResult, PlannedRun } from './pipeline/daily-run.ts';
export type { RunResultsDocument, RunResultsEntry } from './cli/run-results.ts';
export type { PipelineStatus } from './pipeline/status.ts';
export type { Metastore, PipelineRun, RegisteredTable, RunStatus, TableRegistration, RunOutcome, RunQuery } from './metastore/metastore.ts';
