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
 * const rows = await tm.sql(`SELECT count(*) FROM tidemark_scan('warehouse/orders')`);
 * tm.close();
 * ```
 */
export { Tidemark, type TidemarkOptions, type CommitInfo } from './engine/tidemark.ts';
export type { CommitResult, WriteOptions } from './engine/write.ts';
export { WRITE_OPERATIONS, type WriteOperation } from './engine/write-plan.ts';
export type { WriteInput, InputFormat } from './engine/input.ts';
export type { ReadOptions } from './engine/read.ts';
export type { CreateTableOptions } from './engine/create-table.ts';
export type { TableState } from './engine/table-state.ts';
export type { NewTableOptions, TableConfig } from './table/table-config.ts';
export type { ColumnType, Field, Schema } from './table/schema.ts';
export type { FileSlice } from './table/file-slice.ts';
export type { Instant, Action, InstantState } from './timeline/instant.ts';
export { type Clock, FixedClock, systemClock } from './time/clock.ts';
export * from './errors.ts';
export { runPipeline, dailyRun, pipelineStatus, type WithSession } from './api.ts';
export { TidemarkSession, type SessionOptions } from './session.ts';
export { definePipeline } from './pipeline/definition.ts';
export type { PipelineDefinition, SourceDefinition, CheckDefinition, TargetDefinition, Schedule, Lookback } from './pipeline/definition.ts';
export type { RunResult, RunOptions, RunResultStatus } from './pipeline/run-pipeline.ts';
export type { DailyRunOptions, DailyRunResult } from './pipeline/daily-run.ts';
export type { PipelineStatus } from './pipeline/status.ts';
export type { Metastore, PipelineRun, RegisteredTable, RunStatus } from './metastore/metastore.ts';
