/**
 * What a `unique` check looks at: the target table as the write would leave it, not the batch alone.
 * A key that is unique within the batch can still be stored twice: a record whose partition value
 * changed is inserted into its new partition while the target's default (non-global) index keeps
 * the old copy; a unique email can already belong to another record of the table. So the check
 * runs over the stored rows the batch does not replace plus the batch's rows, as dbt's `unique`
 * test runs over the whole model.
 *
 * A stored row is replaced by a batch row with the same record key, in the same partition (or in
 * any partition, with `index: 'global'`, which moves records). Keys and partition values are
 * compared as text, as the record key and partition path render them. Only the columns the checks
 * name, the record key and the partition fields of the target are read.
 */
import { TableNotFoundError } from '../errors.ts';
import type { Tidemark } from '../engine/tidemark.ts';
import type { DuckSession } from '../storage/duckdb/session.ts';
import { sqlIdent } from '../storage/duckdb/sql.ts';
import type { PipelineDefinition } from './definition.ts';

/** The relation `unique` checks run over, and the columns their samples add (the partition fields). */
export interface UniqueScope {
  readonly relation: string;
  readonly context: ReadonlyArray<string>;
}

/**
 * Creates the view `view` over the target at `basePath` and the batch `batch` for the `unique`
 * checks of `def`; undefined when there are none, the target does not exist yet, or it is a history
 * (`scd2`) table, whose rows are versions of a key.
 */
export async function uniqueScope(engine: Tidemark, def: PipelineDefinition, basePath: string, batch: string, view: string): Promise<UniqueScope | undefined> {
  const checks = (def.checks ?? []).filter((c) => c.kind === 'unique');
  if (checks.length === 0 || def.target.mode === 'scd2') return undefined;
  let stored: string;
  try {
    await engine.table(basePath);
    stored = await engine.readSql(basePath);
  } catch (error) {
    if (error instanceof TableNotFoundError) return undefined;
    throw error;
  }
  const duck: DuckSession = engine.duck;
  const storedColumns = new Set((await duck.describe(`SELECT * FROM (${stored})`)).names);
  const batchColumns = new Set((await duck.describe(`SELECT * FROM ${batch}`)).names);
  const key = def.target.recordKey;
  const partition = def.target.partitionBy ?? [];
  const wanted = [...new Set([...checks.flatMap((c) => [c.column].flat()), ...key, ...partition])];
  const pick = (have: ReadonlySet<string>, alias: string): string => wanted.map((c) => (have.has(c) ? `${alias}.${sqlIdent(c)}` : `NULL AS ${sqlIdent(c)}`)).join(', ');
  const text = (alias: string, c: string, have: ReadonlySet<string>): string => (have.has(c) ? `nullif(CAST(${alias}.${sqlIdent(c)} AS VARCHAR), '')` : 'NULL');
  const same = (cols: ReadonlyArray<string>): string[] => cols.map((c) => `${text('b', c, batchColumns)} IS NOT DISTINCT FROM ${text('s', c, storedColumns)}`);
  const replaces = [...same(key), ...(def.target.index === 'global' ? [] : same(partition))].join(' AND ');
  // A batch row that deletes (`_hoodie_is_deleted`) replaces the stored one and leaves nothing.
  const live = batchColumns.has('_hoodie_is_deleted') ? 'WHERE NOT coalesce(b._hoodie_is_deleted, false)' : '';
  await duck.run(`CREATE OR REPLACE VIEW ${view} AS
    SELECT ${pick(storedColumns, 's')} FROM (${stored}) s WHERE NOT EXISTS (SELECT 1 FROM ${batch} b WHERE ${replaces})
    UNION ALL BY NAME
    SELECT ${pick(batchColumns, 'b')} FROM ${batch} b ${live}`);
  return { relation: view, context: partition };
}
