/** A write's DuckDB scratch objects: created under one prefix, dropped together once. */
import type { DuckSession } from '../../storage/duckdb/session.ts';

/**
 * The DuckDB views and tables of one write, named `prefix…`. `release` drops them, once: the file
 * writer calls it as soon as its last statement is done, so the drop runs beside the footers and
 * the commit; the write awaits it before returning (or failing).
 */
export interface Scratch {
  readonly prefix: string;
  release(): Promise<void>;
}

export function scratchObjects(duck: DuckSession, prefix: string): Scratch {
  let dropping: Promise<void> | undefined;
  return {
    prefix,
    release() {
      if (dropping === undefined) {
        dropping = dropScratch(duck, prefix);
        dropping.catch(() => {}); // awaited by writeTable, which raises it; not unhandled meanwhile
      }
      return dropping;
    },
  };
}

/** Drops the write's views (dependents first: newest first) and tables, in one round trip. */
async function dropScratch(duck: DuckSession, prefix: string): Promise<void> {
  const names = await duck.rows(`SELECT 'VIEW' AS kind, view_name AS name FROM duckdb_views() WHERE starts_with(view_name, '${prefix}')
    UNION ALL SELECT 'TABLE', table_name FROM duckdb_tables() WHERE starts_with(table_name, '${prefix}') ORDER BY kind DESC, name DESC`);
  if (names.length > 0) await duck.run(names.map((r) => `DROP ${String(r.kind)} IF EXISTS ${String(r.name)};`).join('\n'));
}
