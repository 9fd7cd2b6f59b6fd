/**
 * The table registry: one row per table known by `database.name`. Self-contained (imports nothing
 * from `src/`) so the knex CLI and the embedded store run exactly the same file. Tables are created
 * unqualified, in the first schema of the `search_path`, so a metastore can live in any schema.
 */
import type { Knex } from 'knex';

/** Creates `table_registry`. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('table_registry', (t) => {
    t.string('database_name', 255).notNullable();
    t.string('table_name', 255).notNullable();
    t.text('base_path').notNullable();
    // jsonb rather than text[]: PySpark and psql users read these as JSON, and order matters for keys.
    t.jsonb('record_key_fields').notNullable().defaultTo(knex.raw(`'[]'::jsonb`));
    t.string('precombine_field', 255).nullable();
    t.jsonb('partition_fields').notNullable().defaultTo(knex.raw(`'[]'::jsonb`));
    t.string('table_type', 32).notNullable();
    t.text('schema').nullable();
    t.jsonb('properties').notNullable().defaultTo(knex.raw(`'{}'::jsonb`));
    // Hudi instant times are 17 digits (yyyyMMddHHmmssSSS); 32 leaves room for older and suffixed forms.
    t.string('latest_instant', 32).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['database_name', 'table_name'], { constraintName: 'table_registry_pkey' });
  });
}

/** Drops `table_registry`. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('table_registry');
}
