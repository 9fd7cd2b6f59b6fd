/**
 * The DuckDB objects of one pipeline run. Every run of a process shares its DuckDB instance, and a
 * session may run several pipelines at once, so a run's objects are its own: a schema `tm_run_<id>`
 * holds the transform output, the keyed batch, the `unique` checks' view and the history scratch
 * tables; the source's rows are staged beside it as `tm_run_<id>_source` (in `main`: the engine's
 * CSV typing replaces a staged table by renaming, which DuckDB does within the default schema),
 * and the schema's view `source` shows them. The user's transform runs with the schema first on its
 * search path, so it reads its own run's window by the documented name `source`; everything else
 * names the objects in full. All of them are dropped when the run ends, failed or not.
 */
import { randomUUID } from 'node:crypto';
import type { DuckSession } from '../storage/duckdb/session.ts';

/** How the names of the runs' schemas start. */
export const RUN_SCHEMA_PREFIX = 'tm_run_';

/** One run's schema and its objects' names. */
export interface RunObjects {
  /** The schema, `tm_run_` and 16 hex digits (an identifier that needs no quoting). */
  readonly schema: string;
  /** Where the source stages the window's rows (a table of `main`, named after the schema). */
  readonly staged: string;
  /** The transform output, by its name in the schema (see {@link RunObjects.runTransform}). */
  readonly outName: string;
  /** The transform output, in full. */
  readonly out: string;
  /** The transform output keyed for the target (one row per record key). */
  readonly batch: string;
  /** The view the `unique` checks run over. */
  readonly unique: string;
  /** Creates the view `source` of the schema over the staged rows, once they are staged. */
  exposeSource(): Promise<void>;
  /** Runs the user's SQL with the schema first on the search path (unqualified tables are created in it). */
  runTransform(sql: string): Promise<void>;
  /** Drops the schema and everything in it, and the staged tables (idempotent). */
  drop(): Promise<void>;
}

/** Creates a new run's schema. */
export async function createRunObjects(duck: DuckSession): Promise<RunObjects> {
  const schema = `${RUN_SCHEMA_PREFIX}${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  await duck.run(`CREATE SCHEMA ${schema}`);
  const name = (object: string): string => `${schema}.${object}`;
  const staged = `${schema}_source`;
  const outName = 'tm_pipeline_out';
  return {
    schema,
    staged,
    outName,
    out: name(outName),
    batch: name('tm_pipeline_batch'),
    unique: name('tm_pipeline_unique'),
    exposeSource: () => duck.run(`CREATE VIEW ${name('source')} AS SELECT * FROM main.${staged}`),
    runTransform: (sql) => duck.runInSchema(schema, sql),
    async drop() {
      await duck.run(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      // The staged table, and what a failed typing or `locate` may have left beside it (`…_typed`, `…_locate`).
      const left = await duck.column<string>(`SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND starts_with(table_name, '${schema}_')`);
      if (left.length > 0) await duck.run(left.map((t) => `DROP TABLE IF EXISTS main.${t};`).join(' '));
    },
  };
}
