/**
 * The pipeline run log. Its first columns are the ones users' PySpark templates already query
 * (`pipeline_name`, `last_run_timestamp`, `current_run_timestamp`, `status`, `records_processed`,
 * `processing_time_seconds`, `error_message`), with the same names and types, so their monitoring
 * SQL keeps working; the rest is Tidemark's detail. Self-contained: imports nothing from `src/`.
 */
import type { Knex } from 'knex';

/** Run states allowed by the CHECK constraint; a test asserts this equals `RUN_STATUSES` in the port. */
const STATUSES = ['RUNNING', 'SUCCESS', 'FAILED'];

/** Creates `pipeline_log` and its indexes. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('pipeline_log', (t) => {
    t.uuid('run_id').primary({ constraintName: 'pipeline_log_pkey' });
    // Insertion order: runs started within the same clock tick still list in the order they began.
    t.bigIncrements('run_seq', { primaryKey: false });
    t.string('pipeline_name', 255).notNullable();
    t.string('target_table', 512).notNullable();
    // A CHECK, not a Postgres enum: templates insert plain strings, and a CHECK is easy to extend.
    t.string('status', 16).notNullable().checkIn(STATUSES, 'pipeline_log_status_check');
    // Null window start = a first, full load.
    t.timestamp('last_run_timestamp', { useTz: true }).nullable();
    t.timestamp('current_run_timestamp', { useTz: true }).notNullable();
    for (const column of [
      'records_processed',
      'records_read',
      'records_inserted',
      'records_updated',
      'records_deleted',
      'records_skipped_older',
      'records_rejected',
    ]) {
      t.bigInteger(column).notNullable().defaultTo(0);
    }
    t.double('processing_time_seconds').nullable();
    t.text('error_message').nullable();
    t.string('commit_instant', 32).nullable();
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('ended_at', { useTz: true }).nullable();
    // Run history of one pipeline, newest last.
    t.index(['pipeline_name', 'started_at'], 'pipeline_log_name_started_idx');
    // The watermark lookup: latest SUCCESS of a pipeline by window end.
    t.index(['pipeline_name', 'status', 'current_run_timestamp'], 'pipeline_log_name_status_window_idx');
  });
}

/** Drops `pipeline_log`. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('pipeline_log');
}
