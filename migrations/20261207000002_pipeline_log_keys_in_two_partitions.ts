/**
 * `pipeline_log.keys_in_two_partitions`: how many record keys a run's write left in two partitions
 * (a target with Hudi's default, non-global index stores a key once per partition, so a record
 * whose partition value changed is kept twice). Existing rows, and inserts that do not name it
 * (like the templates'), are 0. Self-contained: imports nothing from `src/`.
 */
import type { Knex } from 'knex';

/** Adds `keys_in_two_partitions` (0 by default). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('pipeline_log', (t) => {
    t.integer('keys_in_two_partitions').notNullable().defaultTo(0);
  });
}

/** Drops `keys_in_two_partitions`. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('pipeline_log', (t) => {
    t.dropColumn('keys_in_two_partitions');
  });
}
