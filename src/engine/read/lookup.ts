/** Records by key (`Tidemark.lookup`): only the files whose footer keys may hold one are read. */
import { InvalidArgumentError } from '../../errors.ts';
import { sqlString } from '../../storage/duckdb/sql.ts';
import type { Row } from '../../storage/duckdb/values.ts';
import type { EngineContext } from '../context.ts';
import { explainMissingBaseFile } from '../load/missing-files.ts';
import type { TableState } from '../load/table-state.ts';
import type { LookupOptions } from '../tidemark-options.ts';
import { type KeyIndexCache, candidateSlices } from './key-lookup.ts';
import { relationSql, slicesForRead } from './read.ts';

/** The latest (or `asOf`) records of `state` whose record key is one of `keys`; `basePath` as the caller named the table, for errors. */
export async function lookupKeys(ctx: EngineContext, cache: KeyIndexCache, state: TableState, keys: ReadonlyArray<string>, options: LookupOptions, basePath: string): Promise<Row[]> {
  if (!state.config.populateMetaFields) {
    throw new InvalidArgumentError(`table ${state.config.name} at ${state.basePath} has no record keys stored (meta fields off); use read with a filter`, { table: state.basePath });
  }
  const all = slicesForRead(state, options.asOf === undefined ? {} : { asOf: options.asOf }).slices;
  const inPartition = options.partitionPath === undefined ? all : all.filter((s) => s.partitionPath === options.partitionPath);
  try {
    const slices = await candidateSlices(ctx.duck, cache, state.basePath, inPartition, keys);
    if (slices.length === 0 || keys.length === 0) return [];
    return await ctx.duck.plainRows(`SELECT * FROM ${relationSql(state, slices)} WHERE _hoodie_record_key IN (${keys.map(keyLiteral).join(', ')})`);
  } catch (error) {
    throw await explainMissingBaseFile(ctx.store, state, inPartition.map((s) => s.baseFile), `looking up keys in ${basePath}`, error);
  }
}

/** A record key as a SQL literal; NUL characters (which SQL text cannot hold) as `chr(0)`. */
function keyLiteral(key: string): string {
  return key.split('\u0000').map(sqlString).join(' || chr(0) || ');
}
