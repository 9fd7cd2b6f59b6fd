/**
 * Creating a table: `.hoodie/` with the directories Hudi's Java writer creates, and
 * `hoodie.properties` (created exclusively, so two creators cannot both succeed).
 */
import path from 'node:path';
import { TableExistsError } from '../errors.ts';
import { FileExistsError } from '../storage/local-file-store.ts';
import { avroSchemaJson, type Schema } from '../table/schema.ts';
import { type NewTableOptions, type TableConfig, formatTableConfig, newTableConfig } from '../table/table-config.ts';
import { metaDir } from './table-state.ts';
import type { EngineContext } from './write.ts';

/** Options of a new table, with its schema when known. */
export interface CreateTableOptions extends NewTableOptions {
  readonly schema?: Schema;
}

/** Creates an empty table at `basePath`; `TableExistsError` if one is there. */
export async function createTable(ctx: Pick<EngineContext, 'store' | 'clock'>, basePath: string, options: CreateTableOptions): Promise<{ config: TableConfig }> {
  const { schema, ...rest } = options;
  const config = newTableConfig({ ...rest, ...(schema === undefined ? {} : { createSchema: avroSchemaJson(options.name, schema) }) });
  const meta = metaDir(basePath);
  for (const dir of ['.aux/.bootstrap/.partitions', '.aux/.bootstrap/.fileids', '.schema', '.temp', 'archived']) {
    await ctx.store.mkdirs(path.join(meta, dir));
  }
  const file = path.join(meta, 'hoodie.properties');
  try {
    await ctx.store.createExclusive(file, formatTableConfig(config, ctx.clock.now().toJSDate()));
  } catch (error) {
    if (error instanceof FileExistsError) throw new TableExistsError(`a table already exists at ${basePath}`, { table: basePath, file, cause: error });
    throw error;
  }
  return { config };
}
