/**
 * `pipeline_log.run_kind`: what a run's window is. `incremental` (every run before this migration,
 * and every run of the window the watermark gives: first loads and full refreshes too) moves the
 * watermark when it succeeds; `backfill` (an explicit `daily-run --from/--to` day window) never
 * does, so replaying old days leaves the next normal run's window where it was. A column rather
 * than a status: a backfill run still succeeds or fails like any other, and monitoring SQL that
 * counts `status = 'SUCCESS'` keeps its meaning. Self-contained: imports nothing from `src/`.
 */
import type { Knex } from 'knex';

/** Kinds allowed by the CHECK constraint: `RUN_KINDS` in the metastore port. */
const KINDS = ['incremental', 'backfill'];

/** Adds `run_kind`; existing rows (and inserts that do not name it, like the templates') are `incremental`. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('pipeline_log', (t) => {
    t.string('run_kind', 16).notNullable().defaultTo('incremental').checkIn(KINDS, 'pipeline_log_run_kind_check');
  });
}

/** Drops `run_kind`. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('pipeline_log', (t) => {
    t.dropChecks('pipeline_log_run_kind_check');
    t.dropColumn('run_kind');
  });
}
