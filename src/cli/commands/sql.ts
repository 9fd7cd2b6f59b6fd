import type { Command } from 'commander';
import type { OutputFormat } from '../formats.ts';
import type { CliContext } from '../main.ts';
import { addFormatOptions } from './read.ts';

const HELP = `
Tables are addressed with tidemark_scan, which DuckDB sees as a subquery:
  tidemark_scan('path')                                  latest snapshot
  tidemark_scan('path', as_of => 'T')                    snapshot as of instant T
  tidemark_scan('path', since => 'T1', until => 'T2')    records committed in (T1, T2]
Instants are yyyyMMddHHmmss[SSS] or ISO dates/times (UTC unless they say otherwise).

The statement is DuckDB SQL with DuckDB's full reach: it can read and write any file the user can
(COPY ... TO, read_csv('/any/file'), ATTACH, INSTALL). For SQL you did not write, use --read-only:
one query, reading nothing but the tables it scans.

Example:
  $ tidemark sql "SELECT dt, count(*) FROM tidemark_scan('/data/orders') GROUP BY dt"`;

export function registerSql(program: Command, ctx: CliContext): void {
  const command = program
    .command('sql')
    .description("run DuckDB SQL in which tables are addressed as tidemark_scan('path' [, as_of => 'T'] [, since => 'T1', until => 'T2'])")
    .argument('<statement>', 'the SQL statement')
    .option('--read-only', 'for untrusted SQL: one query only, reading nothing but the tables it scans (no other file, COPY, ATTACH or extension)');
  addFormatOptions(command)
    .addHelpText('after', HELP)
    .action(async (statement: string, flags: { format: OutputFormat; json?: boolean; readOnly?: boolean }) => {
      const { columnsOf, renderRows } = await import('../output.ts');
      const { rows, columns } = await ctx.withEngine(async (tm) => {
        if (flags.readOnly === true) return tm.sqlReadOnly(statement, (p) => ctx.tablePath(p));
        const rows = await tm.sql(statement, (p) => ctx.tablePath(p));
        if (rows.length > 0) return { rows, columns: columnsOf(rows) };
        // No row to take the header from: describe the query (statements that are not queries have none).
        const columns = await tm.duck.describe(await tm.expandSql(statement)).then((c) => [...c.names], () => []);
        return { rows, columns };
      });
      ctx.io.stdout(renderRows(flags.json ? 'jsonl' : flags.format, rows, columns));
    });
}
