/**
 * Registered names on the command line: every table argument is a path or a `database.name`. A
 * name is looked up in the metastore only when no directory of that name exists, so commands on
 * paths never open the metastore.
 */
import fs from 'node:fs';
import { type ResolvedConfig } from '../config/config.ts';
import { TableNotFoundError } from '../errors.ts';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether an argument reads as a registered name rather than a path. */
export function isTableName(arg: string): boolean {
  return NAME.test(arg) && !fs.existsSync(arg);
}

/** The base path for a table argument. */
export async function resolveTablePath(config: ResolvedConfig, nameOrPath: string): Promise<string> {
  if (!isTableName(nameOrPath)) return nameOrPath;
  const [database, name] = nameOrPath.split('.') as [string, string];
  const { openMetastore } = await import('../metastore/open-metastore.ts');
  const metastore = await openMetastore(config, { create: false });
  try {
    const table = await metastore.getTable(database, name);
    if (table === undefined) {
      throw new TableNotFoundError(`no table registered as ${nameOrPath} (and no directory of that name); see \`tidemark tables\``, { table: nameOrPath });
    }
    return table.basePath;
  } finally {
    await metastore.close();
  }
}
