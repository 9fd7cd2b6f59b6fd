/**
 * Where a stream source stood after each run: `source_checkpoint` (the offsets, in Hudi's
 * `topic,partition:offset,…` format, as the run's commit carries them), `source_lag` (messages the
 * run left for later, as of its start) and `source_skipped` (messages passed over because the
 * checkpoint was out of range and the source said to go on). Null and 0 for other sources and every
 * older row. Self-contained: imports nothing from `src/`.
 */
import type { Knex } from 'knex';

/** Adds the three columns. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('pipeline_log', (t) => {
    t.text('source_checkpoint').nullable();
    t.bigInteger('source_lag').nullable();
    t.bigInteger('source_skipped').notNullable().defaultTo(0);
  });
}

/** Drops them. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('pipeline_log', (t) => {
    t.dropColumn('source_checkpoint');
    t.dropColumn('source_lag');
    t.dropColumn('source_skipped');
  });
}
