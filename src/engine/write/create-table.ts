/**
 * Creating a table: `.hoodie/` with the directories Hudi's Java writer creates, and
 * `hoodie.properties` (created exclusively, so two creators cannot both succeed).
 */
import { TableExistsError } from '../../errors.ts';
import { FileExistsError } from '../../storage/local-file-store.ts';
import { avroSchemaJson, type Schema } from '../../table/schema.ts';
import { type NewTableOptions, type TableConfig, formatTableConfig, newTableConfig } from '../../table/table-config.ts';
import { META_SUBFOLDERS, metaFilePath, propertiesPath } from '../layout.ts';
import type { EngineContext } from '../context.ts';

/** Options of a new table, with its schema when known. */
export interface CreateTableOptions extends NewTableOptions {
  readonly schema?: Schema;
}

/** Creates an empty table at `basePath`; `TableExistsError` if one is there. */
export async function createTable(ctx: Pick<EngineContext, 'store' | 'clock'>, basePath: string, options: CreateTableOptions): Promise<{ config: TableConfig }> {
  const { schema, ...rest } = options;
  const config = newTableConfig({ ...rest, ...(schema === undefined ? {} : { createSchema: avroSchemaJson(options.name, schema) }) });
  for (const dir of META_SUBFOLDERS) await ctx.store.mkdirs(metaFilePath(basePath, dir));
  const file = propertiesPath(basePath);
  try {
    await ctx.store.createExclusive(file, formatTableConfig(config, ctx.clock.now().toJSDate()));
  } catch (error) {
    if (error instanceof FileExistsError) throw new TableExistsError(`a table already exists at ${basePath}`, { table: basePath, file, cause: error });
    throw error;
  }
  return { config };
}
