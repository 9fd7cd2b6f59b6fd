/**
 * Rows of the metastore's tables and the values they map to: what `knex-metastore.ts` reads back
 * from `table_registry` and `pipeline_log`, from either driver (pg or PGlite).
 */
import type { PipelineRun, RegisteredTable, RunStatus } from './metastore.ts';

/** A row as a driver returns it. */
export type Row = Record<string, unknown>;

/** A run's counters and their columns. */
export const COUNT_COLUMNS = {
  recordsProcessed: 'records_processed',
  recordsRead: 'records_read',
  recordsInserted: 'records_inserted',
  recordsUpdated: 'records_updated',
  recordsDeleted: 'records_deleted',
  recordsSkippedOlder: 'records_skipped_older',
  recordsRejected: 'records_rejected',
  keysInTwoPartitions: 'keys_in_two_partitions',
} as const;

export function toTable(row: Row): RegisteredTable {
  return {
    database: String(row.database_name),
    name: String(row.table_name),
    basePath: String(row.base_path),
    recordKeyFields: json(row.record_key_fields) as string[],
    precombineField: (row.precombine_field as string | null) ?? null,
    partitionFields: json(row.partition_fields) as string[],
    tableType: String(row.table_type),
    schema: (row.schema as string | null) ?? null,
    properties: json(row.properties) as Record<string, string>,
    latestInstant: (row.latest_instant as string | null) ?? null,
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  };
}

export function toRun(row: Row): PipelineRun {
  const counts = Object.fromEntries(Object.entries(COUNT_COLUMNS).map(([field, column]) => [field, Number(row[column])]));
  return {
    runId: String(row.run_id),
    pipelineName: String(row.pipeline_name),
    targetTable: String(row.target_table),
    status: row.status as RunStatus,
    lastRunTimestamp: row.last_run_timestamp == null ? null : date(row.last_run_timestamp),
    currentRunTimestamp: date(row.current_run_timestamp),
    ...(counts as Pick<PipelineRun, keyof typeof COUNT_COLUMNS>),
    commitInstant: (row.commit_instant as string | null) ?? null,
    startedAt: date(row.started_at),
    endedAt: row.ended_at == null ? null : date(row.ended_at),
    processingTimeSeconds: row.processing_time_seconds == null ? null : Number(row.processing_time_seconds),
    errorMessage: (row.error_message as string | null) ?? null,
    ...(row.run_kind === 'backfill' ? { kind: 'backfill' as const } : {}), // the default is not said: a run reads back as started
    ...(row.source_checkpoint == null ? {} : { sourceCheckpoint: String(row.source_checkpoint) }),
    ...(row.source_lag == null ? {} : { sourceLag: Number(row.source_lag) }),
    ...(row.source_skipped == null || Number(row.source_skipped) === 0 ? {} : { sourceSkipped: Number(row.source_skipped) }),
  };
}

/** jsonb arrives parsed from both drivers; a string means a driver configured to leave it raw. */
function json(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

function date(value: unknown): Date {
  return value instanceof Date ? value : new Date(value as string);
}
